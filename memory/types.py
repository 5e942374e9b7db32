"""The few types memory shares with its callers, and what it needs from a model.

memory/ cannot import agent/, so it has its own message type and a small Protocol for
the model; the agent adapts its LLM to it (see agent/memory_port.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True, slots=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True, slots=True)
class CompletionOptions:
    max_tokens: int
    temperature: float = 0.0


@runtime_checkable
class TokenCounter(Protocol):
    def count_tokens(self, messages: Sequence[Message]) -> int:
        """Prompt tokens for these messages with the active model's tokenizer, template included."""
        ...


@runtime_checkable
class MemoryModel(TokenCounter, Protocol):
    def complete(self, messages: Sequence[Message], options: CompletionOptions) -> str: ...
