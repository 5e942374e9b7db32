"""Hugging Face transformers: a local model directory or a GGUF file, on CPU or CUDA.

CPU runs in fp32, or with torch dynamic int8 (``quantize="int8"``); CUDA can load the
weights in 8 or 4 bits with bitsandbytes. A GGUF is unpacked by transformers into a
normal checkpoint once and cached, so the same weights run here and in llama.cpp.
Nothing is ever downloaded.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from agent.errors import ConfigError, ModelNotFoundError
from agent.llm.base import BaseLLM, Capabilities, ChatMessage, GenerationOptions
from agent.llm.llamacpp import CHATML_TEMPLATE
from agent.llm.packaged import packaged_gguf
from agent.settings import LLMSettings
from graph.errors import require

QUANTIZE_CHOICES = ("none", "int8", "8bit", "4bit")
MODEL_HINT = "Set CONGMING_LLM__MODEL to a Hugging Face model directory or a .gguf file."


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "congming" / "hf-from-gguf"


def gguf_cache_key(path: Path) -> str:
    """A folder name that changes whenever the GGUF file is replaced or edited."""
    stat = path.stat()
    digest = hashlib.sha256(f"{path.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}".encode())
    return f"{path.stem}-{digest.hexdigest()[:16]}"


class TransformersLLM(BaseLLM):
    name = "transformers"

    def __init__(self, model: str | Path | None = None, *, quantize: str = "none",
                 device: str = "cpu", threads: int = 1, seed: int = 0,
                 cache_dir: str | Path | None = None) -> None:
        super().__init__()
        if quantize not in QUANTIZE_CHOICES:
            raise ConfigError(f"Unknown quantize={quantize!r}; choose one of {QUANTIZE_CHOICES}.")
        self.model_path = Path(model).expanduser() if model else None
        self.quantize = quantize
        self.device = device
        self.threads = threads
        self.seed = seed
        self.cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        self.checkpoint: Path | None = None  # the directory actually loaded
        self.converted = False  # whether the last open() unpacked a GGUF (not a cache hit)
        self.model: Any = None
        self.tokenizer: Any = None

    @classmethod
    def from_settings(cls, settings: LLMSettings) -> TransformersLLM:
        return cls(settings.model, quantize=settings.quantize, device=settings.device,
                   threads=settings.threads, seed=settings.seed)

    @property
    def capabilities(self) -> Capabilities:
        self.open()  # the context size is in the model's config
        limit = getattr(self.model.config, "max_position_embeddings", None) or 2048
        return Capabilities(max_context=int(limit), json_schema=False)

    # -- loading ---------------------------------------------------------------------

    def _open(self) -> None:
        torch = require("torch", "transformers", "The transformers backend")
        transformers = require("transformers", "transformers", "The transformers backend")
        source = self._source()
        device = self._resolve_device(torch)
        load_kwargs = self._load_kwargs(torch, transformers, device)
        torch.set_num_threads(self.threads)
        if source.suffix.lower() == ".gguf":
            self.checkpoint = self._cached_checkpoint(source, transformers, torch)
        else:
            self.checkpoint, self.converted = source, False
        try:
            tokenizer = transformers.AutoTokenizer.from_pretrained(
                self.checkpoint, local_files_only=True)
            model = transformers.AutoModelForCausalLM.from_pretrained(
                self.checkpoint, local_files_only=True, **load_kwargs)
        except (OSError, ValueError) as exc:
            raise ModelNotFoundError(
                f"transformers could not load {self.checkpoint} ({exc}). {MODEL_HINT}") from exc
        model.eval()
        if self.quantize == "int8":
            from agent.llm.hf_runtime import quantize_int8

            model = quantize_int8(model)
        if not tokenizer.chat_template:
            tokenizer.chat_template = CHATML_TEMPLATE
        self.model, self.tokenizer = model, tokenizer

    def _source(self) -> Path:
        path = self.model_path or packaged_gguf()
        if path.is_dir():
            if not (path / "config.json").is_file():
                raise ModelNotFoundError(
                    f"{path} has no config.json, so it is not a Hugging Face model directory. "
                    f"{MODEL_HINT}")
            return path
        if path.is_file() and path.suffix.lower() == ".gguf":
            return path
        what = "is neither a directory nor a .gguf file" if path.exists() else "does not exist"
        raise ModelNotFoundError(f"Model {path} {what}. {MODEL_HINT}")

    def _resolve_device(self, torch) -> str:
        device = self.device
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        if device.startswith("cuda") and not torch.cuda.is_available():
            raise ConfigError(f"device={self.device!r} but torch sees no CUDA GPU; use device='cpu'.")
        if self.quantize in ("8bit", "4bit") and not device.startswith("cuda"):
            raise ConfigError(
                f"quantize={self.quantize!r} (bitsandbytes) needs a CUDA GPU; on CPU use "
                "quantize='int8' (torch dynamic int8) or 'none'.")
        if self.quantize == "int8" and device != "cpu":
            raise ConfigError("quantize='int8' is torch dynamic int8 for CPU; on CUDA use '8bit'.")
        return device

    def _load_kwargs(self, torch, transformers, device: str) -> dict[str, Any]:
        if device == "cpu":
            return {"dtype": torch.float32}
        kwargs: dict[str, Any] = {"dtype": torch.float16, "device_map": device}
        if self.quantize in ("8bit", "4bit"):
            try:
                import bitsandbytes  # noqa: F401
            except ImportError as exc:
                raise ConfigError(
                    f"quantize={self.quantize!r} needs bitsandbytes: pip install bitsandbytes"
                ) from exc
            kwargs["quantization_config"] = transformers.BitsAndBytesConfig(
                load_in_8bit=self.quantize == "8bit", load_in_4bit=self.quantize == "4bit",
                bnb_4bit_compute_dtype=torch.float16)
        return kwargs

    def _cached_checkpoint(self, gguf: Path, transformers, torch) -> Path:
        """The GGUF unpacked to a normal checkpoint, converted on first use and then reused."""
        target = self.cache_dir / gguf_cache_key(gguf)
        self.converted = False
        if (target / "config.json").is_file():
            return target
        require("gguf", "transformers", "Loading a GGUF file with transformers")
        from agent.llm.hf_runtime import dense_for_saving

        self.cache_dir.mkdir(parents=True, exist_ok=True)
        scratch = self.cache_dir / f".{target.name}.{uuid.uuid4().hex}.partial"
        try:
            source = {"gguf_file": gguf.name, "local_files_only": True}
            tokenizer = transformers.AutoTokenizer.from_pretrained(gguf.parent, **source)
            model = transformers.AutoModelForCausalLM.from_pretrained(
                gguf.parent, dtype=torch.float32, **source)
            dense_for_saving(model).save_pretrained(scratch)
            tokenizer.save_pretrained(scratch)
            del model
            try:
                scratch.rename(target)  # atomic: a half-written cache is never seen
            except OSError:
                if not (target / "config.json").is_file():
                    raise
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise ModelNotFoundError(
                f"transformers could not unpack the GGUF {gguf} ({exc}); it may use an "
                "architecture or quantization type transformers cannot read. Use the llamacpp "
                "backend for it, or point CONGMING_LLM__MODEL at a Hugging Face model directory."
            ) from exc
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        self.converted = True
        return target

    def close(self) -> None:
        self.model = None
        self.tokenizer = None
        super().close()

    # -- tokens and generation ---------------------------------------------------------

    def render(self, messages: list[ChatMessage]) -> str:
        """The prompt text for these messages, from the model's own chat template."""
        self.open()
        return self.tokenizer.apply_chat_template(
            [m.as_dict() for m in messages], add_generation_prompt=True, tokenize=False)

    def prompt_ids(self, messages: list[ChatMessage]) -> list[int]:
        # The template already holds any special tokens (BOS included) the model expects.
        return self.tokenizer(self.render(messages), add_special_tokens=False)["input_ids"]

    def _count_tokens(self, messages: list[ChatMessage]) -> int:
        return len(self.prompt_ids(messages))

    def _generate(self, messages: list[ChatMessage], options: GenerationOptions) -> Iterator[str]:
        from agent.llm.hf_runtime import generation_config, stream_generate

        config = generation_config(self.tokenizer, self.model, options.max_tokens,
                                   options.temperature)
        seed = options.seed if options.seed is not None else self.seed
        return stream_generate(self.model, self.tokenizer, self.prompt_ids(messages), config,
                               options.stop, seed)
