"""The torch/transformers side of the transformers backend, imported only once it is needed.

Kept apart from :mod:`agent.llm.hf` so that importing the backend (and the registry)
never imports torch or transformers.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator, Sequence

import torch
from torch import nn
from transformers import (
    GenerationConfig,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    StoppingCriteria,
    StoppingCriteriaList,
    TextIteratorStreamer,
)


class StopOnEvent(StoppingCriteria):
    """Ends generation after the current step once ``event`` is set (the consumer went away)."""

    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def __call__(self, input_ids: torch.LongTensor, scores, **kwargs) -> torch.BoolTensor:
        return torch.full((input_ids.shape[0],), self.event.is_set(), dtype=torch.bool)


class StopOnText(StoppingCriteria):
    """Ends generation once the decoded new text contains one of ``stops``.

    Only the last few tokens are decoded each step: enough to hold the longest stop string
    even when every character takes four byte-level tokens.
    """

    def __init__(self, tokenizer: PreTrainedTokenizerBase, stops: Sequence[str],
                 prompt_length: int) -> None:
        self.tokenizer = tokenizer
        self.stops = [s for s in stops if s]
        self.prompt_length = prompt_length
        self.window = 4 * max((len(s) for s in self.stops), default=0) + 4

    def __call__(self, input_ids: torch.LongTensor, scores, **kwargs) -> torch.BoolTensor:
        done = []
        for row in input_ids:
            tail = row[self.prompt_length:][-self.window:]
            # A window that starts inside a multi-byte character decodes to U+FFFD there.
            text = self.tokenizer.decode(tail, skip_special_tokens=True).lstrip("\ufffd")
            done.append(any(stop in text for stop in self.stops))
        return torch.tensor(done, dtype=torch.bool)


def quantize_int8(model: nn.Module) -> nn.Module:
    """Torch dynamic int8: every ``nn.Linear`` becomes a dynamically quantized Linear.

    ``torch.ao.quantization.quantize_dynamic`` is deprecated in favour of torchao, but
    torchao's int8 path has no fast CPU kernel in eager mode (measured: ~10x slower than
    fp32), while this one runs on the fbgemm/x86 int8 kernels. Its two deprecation
    warnings are silenced here, and only here.
    """
    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="torch.ao.quantization is deprecated")
        warnings.filterwarnings("ignore", message=r"torch\.quantize_per_tensor")
        return quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8, inplace=True)


def dense_for_saving(model: PreTrainedModel) -> PreTrainedModel:
    """Detach the GGUF loader's quantizer from a model that it unpacked to plain tensors.

    transformers marks every model loaded from a GGUF as quantized and refuses to save it,
    even when (as on CPU) every weight was dequantized at load time.
    """
    quantizer = getattr(model, "hf_quantizer", None)
    if quantizer is not None:
        packed = [p for p in model.parameters() if not p.is_floating_point()]
        if packed:
            raise ValueError("some weights stayed packed in GGUF blocks")
        quantizer.remove_quantization_config(model)
    return model


def generation_config(tokenizer: PreTrainedTokenizerBase, model: PreTrainedModel,
                      max_new_tokens: int, temperature: float) -> GenerationConfig:
    eos = {tokenizer.eos_token_id}
    model_eos = model.generation_config.eos_token_id
    eos.update(model_eos if isinstance(model_eos, list) else [model_eos])
    eos.discard(None)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else min(eos, default=0)
    sampling = {"do_sample": True, "temperature": temperature} if temperature > 0 else {
        "do_sample": False}
    return GenerationConfig(max_new_tokens=max_new_tokens, eos_token_id=sorted(eos),
                            pad_token_id=pad, **sampling)


def stream_generate(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase,
                    prompt_ids: list[int], config: GenerationConfig, stops: Sequence[str],
                    seed: int) -> Iterator[str]:
    """Run ``generate`` in a worker thread and yield its text as it is decoded.

    Closing the iterator early sets an event that a stopping criterion checks after every
    token, so the worker ends within one step and is joined before this returns.
    """
    input_ids = torch.tensor([prompt_ids], dtype=torch.long, device=model.device)
    streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
    cancel = threading.Event()
    criteria = StoppingCriteriaList([StopOnEvent(cancel)])
    if any(stops):
        criteria.append(StopOnText(tokenizer, stops, len(prompt_ids)))
    errors: list[BaseException] = []

    def work() -> None:
        try:
            if config.do_sample:
                torch.manual_seed(seed)
            with torch.inference_mode():
                model.generate(input_ids=input_ids, attention_mask=torch.ones_like(input_ids),
                               generation_config=config, stopping_criteria=criteria,
                               streamer=streamer)
        except BaseException as exc:  # handed to the consumer
            errors.append(exc)
            streamer.end()

    worker = threading.Thread(target=work, name="transformers-generate", daemon=True)
    worker.start()
    try:
        for text in streamer:
            if text:
                yield text
    finally:
        cancel.set()
        worker.join()
    if errors:
        raise errors[0]
