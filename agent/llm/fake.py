"""A scripted LLM for tests and for measuring everything around the model."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from agent.errors import ConfigError
from agent.llm.base import BaseLLM, Capabilities, ChatMessage, GenerationOptions
from agent.settings import LLMSettings

# Words, single CJK characters, or single other non-space characters, each with the
# whitespace before it, so joining the tokens gives back the text.
_TOKEN = re.compile(r"\s*(?:[\u3400-\u9fff\uf900-\ufaff]|\w+|[^\w\s])|\s+")

_EVIDENCE = re.compile(r"^\[1\] (.+?)(?: \(source: [^)]*\))?$", re.M)

Reply = str | Callable[[list[ChatMessage]], str]


def fake_tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def evidence_reply(messages: list[ChatMessage]) -> str:
    """A reply function: quote the first sentence of evidence [1], the way a well-behaved model
    answers (for tests and for measuring the server around the model)."""
    found = _EVIDENCE.findall("\n".join(m.content for m in messages))  # the last: after the examples
    if not found:
        return "Reasoning: There is no evidence. Answer: Noted."
    sentence = re.split(r"(?<=[.!?])\s", found[-1].strip())[0].rstrip(".")
    return f"Reasoning: Evidence [1] answers this. Answer: {sentence} [1]."


class FakeLLM(BaseLLM):
    """Replies from a script: replies used in order (the last one repeats), or a function of the messages.

    With no script it echoes the last user message, prefixed with ``Echo:``.
    Every prompt it was given is kept in ``prompts`` for tests to inspect.
    """

    name = "fake"

    def __init__(self, replies: Sequence[Reply] = (), *, max_context: int = 4096,
                 json_schema: bool = False) -> None:
        super().__init__()
        self._replies = list(replies)
        self._capabilities = Capabilities(max_context=max_context, json_schema=json_schema)
        self.prompts: list[list[ChatMessage]] = []
        self.options: list[GenerationOptions] = []  # each call's, beside its prompt
        self.script: Path | None = None  # a JSON list of replies, read on open (see from_settings)

    @classmethod
    def from_settings(cls, settings: LLMSettings) -> FakeLLM:
        """``llm.model`` may name a JSON file holding a list of replies (for tests of whole apps)."""
        llm = cls()
        llm.script = Path(settings.model) if settings.model else None
        return llm

    @property
    def capabilities(self) -> Capabilities:
        return self._capabilities

    def _open(self) -> None:
        if self.script is not None and not self._replies:
            self._replies = _read_script(self.script)

    def _count_tokens(self, messages: list[ChatMessage]) -> int:
        return sum(len(fake_tokens(m.content)) + 4 for m in messages)

    def _next_reply(self, messages: list[ChatMessage]) -> str:
        if not self._replies:
            last_user = next((m.content for m in reversed(messages) if m.role == "user"), "")
            return f"Echo: {last_user}"
        reply = self._replies.pop(0) if len(self._replies) > 1 else self._replies[0]
        return reply(messages) if callable(reply) else reply

    def _generate(self, messages: list[ChatMessage], options: GenerationOptions) -> Iterator[str]:
        self.prompts.append(list(messages))
        self.options.append(options)
        yield from fake_tokens(self._next_reply(messages))[: options.max_tokens]


def _read_script(path: Path) -> list[str]:
    try:
        replies = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"The fake model's script {path} could not be read ({exc}); llm.model must "
                          "name a JSON file with a list of reply strings, or be empty to echo.") from exc
    if not isinstance(replies, list) or not all(isinstance(r, str) for r in replies) or not replies:
        raise ConfigError(f"The fake model's script {path} must be a non-empty JSON list of strings.")
    return replies
