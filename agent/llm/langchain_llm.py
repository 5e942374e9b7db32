"""Any LangChain chat model (``BaseChatModel``) as a congming LLM.

Not in the by-name registry: a LangChain model is an object the caller builds, e.g.
``LangChainLLM(ChatOpenAI(model="gpt-4o-mini"), max_context=128_000)``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

from agent.errors import ConfigError
from agent.llm.base import BaseLLM, Capabilities, ChatMessage, GenerationOptions
from agent.llm.estimate import estimate_message_tokens, estimate_tokens
from graph.errors import require

# Model fields that, when the model has them, take our per-call options as keyword arguments.
_PASSED_OPTIONS = ("max_tokens", "temperature")


class LangChainLLM(BaseLLM):
    """Wraps a LangChain chat model.

    Tokens are counted with the model's ``get_num_tokens_from_messages`` when it can count
    (many need a tokenizer download; offline that fails), else with the conservative
    estimate from :mod:`agent.llm.estimate`. ``max_tokens`` is passed to models that have
    such a field and is enforced here on the streamed text by the same count.
    """

    name = "langchain"

    def __init__(self, chat_model: Any, max_context: int = 4096) -> None:
        super().__init__()
        self.chat_model = chat_model
        self._capabilities = Capabilities(max_context=max_context, json_schema=False)
        self._model_counts = False

    @property
    def capabilities(self) -> Capabilities:
        return self._capabilities

    def _open(self) -> None:
        core = require("langchain_core.language_models", "langchain", "The langchain backend")
        if not isinstance(self.chat_model, core.BaseChatModel):
            raise ConfigError(
                f"LangChainLLM needs a langchain_core BaseChatModel, got "
                f"{type(self.chat_model).__name__}; pass a chat model such as ChatOpenAI(...)."
            )
        self._model_counts = self._model_can_count()

    def _model_can_count(self) -> bool:
        # Offline, LangChain's default GPT-2 tokenizer can load empty and count 0 tokens.
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # LangChain warns that it falls back to GPT-2
                return self.chat_model.get_num_tokens("Hello, world!") > 0
        except Exception:  # no tokenizer available (missing package, no download)
            return False

    def _to_langchain(self, messages: list[ChatMessage]) -> list[Any]:
        lc = require("langchain_core.messages", "langchain", "The langchain backend")
        kinds = {"system": lc.SystemMessage, "user": lc.HumanMessage, "assistant": lc.AIMessage}
        return [kinds[m.role](content=m.content) for m in messages]

    def _count_tokens(self, messages: list[ChatMessage]) -> int:
        if self._model_counts:
            try:
                return self.chat_model.get_num_tokens_from_messages(self._to_langchain(messages))
            except Exception:  # no tokenizer available (e.g. offline); estimate from now on
                self._model_counts = False
        return estimate_message_tokens(m.content for m in messages)

    def count_text(self, text: str) -> int:
        """Tokens in ``text`` by the count this backend uses for ``max_tokens``."""
        self.open()
        if self._model_counts:
            try:
                return self.chat_model.get_num_tokens(text)
            except Exception:
                self._model_counts = False
        return estimate_tokens(text)

    def _generate(self, messages: list[ChatMessage], options: GenerationOptions) -> Iterator[str]:
        fields = getattr(type(self.chat_model), "model_fields", {})
        kwargs = {k: getattr(options, k) for k in _PASSED_OPTIONS if k in fields}
        chunks = self.chat_model.stream(
            self._to_langchain(messages), stop=list(options.stop) or None, **kwargs
        )
        text = ""
        try:
            for chunk in chunks:
                piece = _content_text(chunk.content)
                if not piece:
                    continue
                if self.count_text(text + piece) > options.max_tokens:
                    return
                text += piece
                yield piece
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()


def _content_text(content: Any) -> str:
    """The text of a message chunk's content: a string or a list of content blocks."""
    if isinstance(content, str):
        return content
    parts = []
    for block in content or ():
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict) and block.get("type") == "text":
            parts.append(str(block.get("text", "")))
    return "".join(parts)
