"""Adapts an agent LLM to the small model Protocol that memory/ needs."""

from __future__ import annotations

from collections.abc import Sequence

from agent.llm.base import LLM, ChatMessage, GenerationOptions
from memory.types import CompletionOptions, Message


class MemoryModelPort:
    """``count_tokens`` and ``complete`` over memory's Message type, with the wrapped LLM's tokenizer."""

    def __init__(self, llm: LLM) -> None:
        self.llm = llm

    @staticmethod
    def _chat(messages: Sequence[Message]) -> list[ChatMessage]:
        return [ChatMessage(m.role, m.content) for m in messages]

    def count_tokens(self, messages: Sequence[Message]) -> int:
        return self.llm.count_tokens(self._chat(messages))

    def complete(self, messages: Sequence[Message], options: CompletionOptions) -> str:
        generation = GenerationOptions(max_tokens=options.max_tokens, temperature=options.temperature)
        return self.llm.complete(self._chat(messages), generation)
