"""llama.cpp (llama-cpp-python) running a quantized GGUF; the default backend.

The chat template and stop tokens come from the GGUF's own metadata. The prompt is
rendered here and passed to ``create_completion`` so the token count used for the
context check is exact, and llama.cpp reuses the KV cache for the longest prompt prefix
it has already evaluated (the system prompt and earlier turns) across calls.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from agent.errors import ConfigError, ModelNotFoundError
from agent.llm.base import BaseLLM, Capabilities, ChatMessage, GenerationOptions
from agent.llm.model_ref import resolve_gguf
from agent.settings import LLMSettings
from graph.errors import require

# Used only when a GGUF carries no chat template of its own.
CHATML_TEMPLATE = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content']"
    " + '<|im_end|>' + '\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


class LlamaCppLLM(BaseLLM):
    name = "llamacpp"

    def __init__(self, model_path: str | Path | None = None, *, n_ctx: int = 4096,
                 n_batch: int = 512, threads: int = 1, seed: int = 0,
                 models_dir: str | Path | None = None) -> None:
        super().__init__()
        # a path, a file name in models_dir or hf:ORG/REPO/FILE.gguf (agent/llm/model_ref.py)
        self.model_path = str(model_path) if model_path else None
        self.models_dir = Path(models_dir) if models_dir else None
        self.resolved_path: Path | None = None  # the GGUF file open() loaded
        self.n_ctx = n_ctx
        self.n_batch = n_batch
        self.threads = threads
        self.seed = seed
        self._llama = None
        self._formatter = None
        self._grammars: dict[str, object] = {}

    @classmethod
    def from_settings(cls, settings: LLMSettings) -> LlamaCppLLM:
        return cls(settings.model, n_ctx=settings.n_ctx, n_batch=settings.n_batch,
                   threads=settings.threads, seed=settings.seed, models_dir=settings.models_dir)

    @property
    def capabilities(self) -> Capabilities:
        max_context = self._llama.n_ctx() if self._llama is not None else self.n_ctx
        return Capabilities(max_context=max_context, json_schema=True, small=self.model_path is None)

    def _open(self) -> None:
        llama_cpp = require("llama_cpp", "local", "The llamacpp backend")
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        path = resolve_gguf(self.model_path, self.models_dir)
        try:
            llama = llama_cpp.Llama(
                model_path=str(path), n_ctx=self.n_ctx, n_batch=self.n_batch,
                n_threads=self.threads, n_threads_batch=self.threads, seed=self.seed,
                verbose=False,
            )
        except (ValueError, RuntimeError) as exc:
            raise ModelNotFoundError(
                f"llama.cpp could not load {path} ({exc}). Is it a valid GGUF file?"
            ) from exc
        token_text = llama._model.token_get_text
        eos_id = llama.token_eos()
        self._formatter = Jinja2ChatFormatter(
            template=llama.metadata.get("tokenizer.chat_template") or CHATML_TEMPLATE,
            eos_token=token_text(eos_id),
            bos_token=token_text(llama.token_bos()),
            add_generation_prompt=True,
            stop_token_ids=[eos_id],
        )
        self._llama = llama
        self.resolved_path = path

    def close(self) -> None:
        if self._llama is not None:
            self._llama.close()
        self._llama = None
        self._grammars.clear()
        super().close()

    def render(self, messages: list[ChatMessage]) -> tuple[str, list[str]]:
        """The prompt text for these messages and the template's stop strings."""
        self.open()
        response = self._formatter(messages=[m.as_dict() for m in messages])
        stops = response.stop if isinstance(response.stop, list) else [response.stop]
        return response.prompt, [s for s in stops if s]

    def tokenize(self, text: str) -> list[int]:
        self.open()
        return self._llama.tokenize(text.encode("utf-8"), add_bos=True, special=True)

    def _count_tokens(self, messages: list[ChatMessage]) -> int:
        prompt, _ = self.render(messages)
        return len(self.tokenize(prompt))

    def _grammar(self, schema: dict):
        from llama_cpp import LlamaGrammar

        key = json.dumps(schema, sort_keys=True)
        if key not in self._grammars:
            try:
                self._grammars[key] = LlamaGrammar.from_json_schema(key, verbose=False)
            except Exception as exc:  # llama.cpp raises several types for bad schemas
                raise ConfigError(f"Cannot turn this JSON schema into a grammar: {exc}") from exc
        return self._grammars[key]

    def _generate(self, messages: list[ChatMessage], options: GenerationOptions) -> Iterator[str]:
        prompt, template_stops = self.render(messages)
        grammar = self._grammar(options.json_schema) if options.json_schema else None
        tokens = self.tokenize(prompt)
        self._prefill(tokens)
        chunks = self._llama.create_completion(
            prompt=tokens,
            max_tokens=options.max_tokens,
            temperature=options.temperature,
            stop=template_stops + list(options.stop),
            seed=options.seed if options.seed is not None else self.seed,
            grammar=grammar,
            stream=True,
        )
        try:
            for chunk in chunks:
                text = chunk["choices"][0]["text"]
                if text:
                    yield text
        finally:
            chunks.close()

    def _prefill(self, tokens: list[int]) -> None:
        """Evaluate all prompt tokens but the last, reusing the longest cached prefix.

        llama.cpp's logits depend slightly on how a prompt is split into batches. On a
        cache hit ``create_completion`` re-evaluates the last prompt token on its own, so
        doing the same on a miss makes a request give the same greedy output whether or
        not its prompt is already in the KV cache.
        """
        llama = self._llama
        cached = llama.input_ids[: llama.n_tokens]
        prefix = 0
        for cached_token, token in zip(cached, tokens[:-1], strict=False):
            if cached_token != token:
                break
            prefix += 1
        if prefix == len(tokens) - 1:
            return
        if prefix and not llama._ctx.kv_cache_seq_rm(-1, prefix, -1):
            prefix = 0  # this model's memory cannot drop a suffix (e.g. recurrent)
        if not prefix:
            llama.reset()
        llama.n_tokens = prefix
        llama.eval(tokens[prefix:-1])
