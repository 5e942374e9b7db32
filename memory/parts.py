"""Typed parts of the context; each renders itself to chat messages.

Rendering order is fixed (system prompt, pinned facts, summary, turns, evidence,
question) and consecutive messages of the same role are joined, so the result is one
system message followed by alternating user/assistant messages, which every chat
template accepts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from memory.types import Message


@dataclass(frozen=True, slots=True)
class SystemPart:
    text: str

    def to_messages(self) -> list[Message]:
        return [Message("system", self.text)] if self.text else []


@dataclass(frozen=True, slots=True)
class PinnedFact:
    text: str
    strength: float = 1.0  # when facts must be dropped, the weakest go first, then the oldest


@dataclass(frozen=True, slots=True)
class PinnedFacts:
    facts: tuple[PinnedFact, ...] = ()
    header: str = "What you know about the user:"

    def to_messages(self) -> list[Message]:
        if not self.facts:
            return []
        lines = "\n".join(f"- {fact.text}" for fact in self.facts)
        return [Message("system", f"{self.header}\n{lines}")]


@dataclass(frozen=True, slots=True)
class Summary:
    text: str = ""
    turns: int = 0  # how many turns have been folded into it so far
    header: str = "Summary of the earlier conversation:"

    def to_messages(self) -> list[Message]:
        return [Message("system", f"{self.header}\n{self.text}")] if self.text else []


@dataclass(frozen=True, slots=True)
class Turn:
    """One finished exchange: the user's message and the final answer, never the reasoning."""

    user: str
    answer: str
    id: str = ""

    def to_messages(self) -> list[Message]:
        return [Message("user", self.user), Message("assistant", self.answer)]


@dataclass(frozen=True, slots=True)
class Passage:
    text: str
    source: str = ""
    id: str = ""  # chunk or turn id, for citations
    at: datetime | None = None  # when it was said (a remembered turn) or last told (a fact)
    kind: str = ""  # "turn" or "fact" for long-term memory; "" for a document passage


@dataclass(frozen=True, slots=True)
class Evidence:
    """Retrieved passages, best first; numbered [1], [2] ... in this order."""

    passages: tuple[Passage, ...] = ()
    header: str = "Evidence:"

    def to_messages(self) -> list[Message]:
        if not self.passages:
            return []
        lines = []
        for number, passage in enumerate(self.passages, start=1):
            source = f" (source: {passage.source})" if passage.source else ""
            lines.append(f"[{number}] {passage.text}{source}")
        return [Message("user", self.header + "\n" + "\n".join(lines))]


@dataclass(frozen=True, slots=True)
class Question:
    text: str

    def to_messages(self) -> list[Message]:
        return [Message("user", self.text)]


Part = SystemPart | PinnedFacts | Summary | Turn | Evidence | Question


def merge_roles(messages: Iterable[Message]) -> list[Message]:
    """Join consecutive messages of the same role with a blank line."""
    merged: list[Message] = []
    for message in messages:
        if merged and merged[-1].role == message.role:
            merged[-1] = Message(message.role, f"{merged[-1].content}\n\n{message.content}")
        else:
            merged.append(message)
    return merged


def render(parts: Sequence[Part]) -> list[Message]:
    return merge_roles(message for part in parts for message in part.to_messages())
