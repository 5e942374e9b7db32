"""What only the transformers backend does: int8, GGUF unpacking and its cache, the worker thread.

Streaming, stop strings, max tokens and input errors are checked for every backend in
tests/contract/test_llm_contract.py.
"""

from __future__ import annotations

import os
import threading
import warnings

import pytest

from agent.errors import ConfigError, ModelNotFoundError
from agent.llm import create_llm
from agent.llm.base import ChatMessage, GenerationOptions
from agent.settings import LLMSettings

pytest.importorskip("transformers")
pytestmark = pytest.mark.slow

PROMPT = [
    ChatMessage("system", "You are a helpful assistant."),
    ChatMessage("user", "Where does Alice live? 小明住在哪里？"),
]


def hf_llm(model, **kwargs):
    from agent.llm.hf import TransformersLLM

    return TransformersLLM(model, threads=1, **kwargs)


@pytest.fixture(scope="module")
def fp32_llm(tiny_hf_model_dir):
    llm = hf_llm(tiny_hf_model_dir)
    llm.open()
    yield llm
    llm.close()


def count_forward_passes(model) -> list[int]:
    calls = [0]

    def hook(module, args, output):
        calls[0] += 1

    return calls, model.register_forward_hook(hook)


def generator_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "transformers-generate"]


def test_settings_build_the_backend_without_loading(tiny_hf_model_dir):
    settings = LLMSettings(backend="transformers", model=str(tiny_hf_model_dir), threads=1,
                           quantize="int8", seed=7)
    llm = create_llm(settings)
    assert type(llm).__name__ == "TransformersLLM"
    assert (llm.model_path, llm.quantize, llm.threads, llm.seed) == (
        tiny_hf_model_dir, "int8", 1, 7)
    assert llm.model is None


def test_fp32_loads_plain_float32_layers_and_streams(fp32_llm):
    import torch

    linears = [m for m in fp32_llm.model.modules() if type(m) is torch.nn.Linear]
    assert linears and all(m.weight.dtype == torch.float32 for m in linears)
    assert fp32_llm.capabilities.max_context == 512  # max_position_embeddings of the config
    assert not fp32_llm.capabilities.json_schema
    pieces = list(fp32_llm.stream(PROMPT, GenerationOptions(max_tokens=16)))
    assert len(pieces) > 1 and "".join(pieces).strip()


def test_count_tokens_is_the_tokenizers_own_count(fp32_llm):
    encoded = fp32_llm.tokenizer.apply_chat_template(
        [m.as_dict() for m in PROMPT], add_generation_prompt=True, tokenize=True, return_dict=True)
    assert fp32_llm.count_tokens(PROMPT) == len(encoded["input_ids"])
    assert fp32_llm.render(PROMPT).endswith("<|im_start|>assistant\n")


def test_int8_replaces_every_linear_with_a_dynamic_quantized_one(tiny_hf_model_dir, fp32_llm):
    import torch
    from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear

    llm = hf_llm(tiny_hf_model_dir, quantize="int8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        llm.open()
    assert not [w for w in caught if "quantiz" in str(w.message)]
    modules = list(llm.model.modules())
    float_linears = sum(type(m) is torch.nn.Linear for m in fp32_llm.model.modules())
    assert not [m for m in modules if type(m) is torch.nn.Linear]
    assert sum(isinstance(m, DynamicLinear) for m in modules) == float_linears
    assert all(m.weight().dtype == torch.qint8 for m in modules if isinstance(m, DynamicLinear))
    assert llm.complete(PROMPT, GenerationOptions(max_tokens=12)).strip()
    llm.close()


def test_closing_the_stream_early_stops_generation_and_joins_the_worker(fp32_llm):
    calls, handle = count_forward_passes(fp32_llm.model)
    try:
        pieces = fp32_llm.stream(PROMPT, GenerationOptions(max_tokens=400))
        assert next(pieces)
        assert generator_threads()
        pieces.close()
    finally:
        handle.remove()
    assert not generator_threads()
    assert calls[0] < 40  # not the 400 steps it was allowed
    assert fp32_llm.complete(PROMPT, GenerationOptions(max_tokens=4))  # the lock was released


def test_stop_string_ends_generation_itself_early(fp32_llm):
    text = fp32_llm.complete(PROMPT, GenerationOptions(max_tokens=12))
    stop = text.strip().split()[0]
    calls, handle = count_forward_passes(fp32_llm.model)
    try:
        cut = fp32_llm.complete(PROMPT, GenerationOptions(max_tokens=400, stop=(stop,)))
    finally:
        handle.remove()
    assert stop not in cut
    assert calls[0] <= 12


def test_sampling_with_a_seed_repeats(fp32_llm):
    options = GenerationOptions(max_tokens=12, temperature=0.9, seed=5)
    assert fp32_llm.complete(PROMPT, options) == fp32_llm.complete(PROMPT, options)


@pytest.mark.parametrize("kind", ["missing", "no-config", "not-gguf"])
def test_unusable_model_path_says_what_to_do(tmp_path, kind):
    path = tmp_path / "model"
    if kind == "no-config":
        path.mkdir()
    elif kind == "not-gguf":
        path = tmp_path / "model.bin"
        path.write_bytes(b"not a model")
    with pytest.raises(ModelNotFoundError, match="CONGMING_LLM__MODEL"):
        hf_llm(path).open()


def test_bitsandbytes_modes_need_cuda(tiny_hf_model_dir):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    for mode in ("8bit", "4bit"):
        with pytest.raises(ConfigError, match="CUDA"):
            hf_llm(tiny_hf_model_dir, quantize=mode).open()
    with pytest.raises(ConfigError, match="quantize"):
        hf_llm(tiny_hf_model_dir, quantize="fp4")


def test_gguf_cache_key_follows_size_and_mtime(tmp_path):
    from agent.llm.hf import gguf_cache_key

    path = tmp_path / "m.gguf"
    path.write_bytes(b"x" * 10)
    first = gguf_cache_key(path)
    assert first == gguf_cache_key(path) and first.startswith("m-")
    os.utime(path, ns=(0, 0))
    second = gguf_cache_key(path)
    path.write_bytes(b"x" * 11)
    os.utime(path, ns=(0, 0))
    assert len({first, second, gguf_cache_key(path)}) == 3


@pytest.mark.model
def test_packaged_gguf_is_unpacked_once_then_reused(tmp_path, packaged_llm):
    cache = tmp_path / "cache"
    first = hf_llm(None, cache_dir=cache)
    first.open()
    assert first.converted
    assert first.checkpoint.parent == cache and (first.checkpoint / "config.json").is_file()
    config_mtime = (first.checkpoint / "config.json").stat().st_mtime_ns
    assert not [p for p in cache.iterdir() if p.name.endswith(".partial")]

    second = hf_llm(None, cache_dir=cache)
    second.open()
    assert not second.converted
    assert second.checkpoint == first.checkpoint
    assert (second.checkpoint / "config.json").stat().st_mtime_ns == config_mtime
    first.close()

    # Same tokenizer and chat template as llama.cpp reads from the GGUF.
    assert second.count_tokens(PROMPT) == packaged_llm.count_tokens(PROMPT)
    # The real model ends a short answer with its EOS token, long before max_tokens.
    question = [ChatMessage("user", "What is the capital of France? Answer in one word.")]
    answer = second.complete(question, GenerationOptions(max_tokens=200))
    assert "Paris" in answer
    assert len(second.tokenizer(answer)["input_ids"]) < 50
    second.close()

