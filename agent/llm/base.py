"""The LLM seam: chat messages in, streamed text out.

A backend subclasses :class:`BaseLLM` and implements ``_open``, ``count_tokens`` and
``_generate``. Validation, the context-window check, the max-token clamp, stop strings,
locking and the async bridge are done here once for every backend.
"""

from __future__ import annotations

import asyncio
import threading
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol, runtime_checkable

from agent.errors import ConfigError, ContextOverflowError, InputError

Role = Literal["system", "user", "assistant"]
ROLES: frozenset[str] = frozenset({"system", "user", "assistant"})


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: Role
    content: str

    def as_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True, slots=True)
class Capabilities:
    max_context: int
    json_schema: bool = False
    streaming: bool = True
    small: bool = False  # too small to author answers (the packaged 135M model): the reader answers


@dataclass(frozen=True, slots=True)
class GenerationOptions:
    max_tokens: int = 512
    temperature: float = 0.0
    stop: tuple[str, ...] = ()
    json_schema: dict[str, Any] | None = field(default=None, hash=False)
    seed: int | None = None


@runtime_checkable
class LLM(Protocol):
    name: str

    @property
    def capabilities(self) -> Capabilities: ...

    def open(self) -> None: ...

    def count_tokens(self, messages: Sequence[ChatMessage]) -> int: ...

    def stream(
        self, messages: Sequence[ChatMessage], options: GenerationOptions | None = None
    ) -> Iterator[str]: ...

    def astream(
        self, messages: Sequence[ChatMessage], options: GenerationOptions | None = None
    ) -> AsyncIterator[str]: ...

    def complete(
        self, messages: Sequence[ChatMessage], options: GenerationOptions | None = None
    ) -> str: ...

    def close(self) -> None: ...


def validate_messages(messages: Sequence[ChatMessage]) -> list[ChatMessage]:
    if not messages:
        raise InputError("No messages to send: give at least one user message.")
    checked = []
    for i, message in enumerate(messages):
        if not isinstance(message, ChatMessage):
            raise InputError(f"Message {i} is {type(message).__name__}, expected ChatMessage.")
        if message.role not in ROLES:
            raise InputError(f"Message {i} has role {message.role!r}; use one of {sorted(ROLES)}.")
        if not isinstance(message.content, str):
            raise InputError(f"Message {i} content must be text, got {type(message.content).__name__}.")
        checked.append(message)
    return checked


def cut_at_stop(pieces: Iterator[str], stops: Sequence[str]) -> Iterator[str]:
    """Yield text from ``pieces`` up to (not including) the first stop string.

    A stop string may be split across pieces, so text that could be the start of one is
    held back until it is known not to be. Where stop strings overlap, the one completed
    first wins (the longest on a tie), so the result does not depend on how the text
    was split into pieces.
    """
    stops = [s for s in stops if s]
    if not stops:
        yield from pieces
        return
    hold = max(len(s) for s in stops) - 1
    buffer = ""
    try:
        for piece in pieces:
            buffer += piece
            found = [(i + len(s), i) for s in stops if (i := buffer.find(s)) >= 0]
            if found:
                cut = min(found)[1]
                if buffer[:cut]:
                    yield buffer[:cut]
                return
            if len(buffer) > hold:
                ready = len(buffer) - hold
                yield buffer[:ready]
                buffer = buffer[ready:]
        if buffer:
            yield buffer
    finally:
        close = getattr(pieces, "close", None)
        if close is not None:
            close()


class BaseLLM(ABC):
    """Shared behaviour of every backend. Subclasses implement the three abstract methods."""

    name: str = "llm"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._opened = False

    @property
    @abstractmethod
    def capabilities(self) -> Capabilities: ...

    @abstractmethod
    def _open(self) -> None:
        """Load the model or check the server; called once, before the first use."""

    @abstractmethod
    def _count_tokens(self, messages: list[ChatMessage]) -> int:
        """Prompt tokens for these messages, chat template included."""

    @abstractmethod
    def _generate(self, messages: list[ChatMessage], options: GenerationOptions) -> Iterator[str]:
        """Stream text pieces; honour ``options.max_tokens`` and, where possible, ``stop``."""

    def open(self) -> None:
        if not self._opened:
            self._open()
            self._opened = True

    def close(self) -> None:
        self._opened = False

    def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        self.open()
        return self._count_tokens(validate_messages(messages))

    def stream(
        self, messages: Sequence[ChatMessage], options: GenerationOptions | None = None
    ) -> Iterator[str]:
        options = options or GenerationOptions()
        checked = validate_messages(messages)
        if options.max_tokens < 1:
            raise InputError("max_tokens must be at least 1.")
        if options.json_schema is not None and not self.capabilities.json_schema:
            raise ConfigError(
                f"The {self.name} backend cannot constrain output to a JSON schema; "
                "use the llamacpp backend or a server that supports response_format."
            )
        return self._stream_locked(checked, options)

    def _stream_locked(self, messages: list[ChatMessage], options: GenerationOptions) -> Iterator[str]:
        with self._lock:
            self.open()
            prompt_tokens = self._count_tokens(messages)
            max_context = self.capabilities.max_context
            if prompt_tokens >= max_context:
                raise ContextOverflowError(prompt_tokens, max_context)
            budget = min(options.max_tokens, max_context - prompt_tokens)
            yield from cut_at_stop(
                self._generate(messages, replace(options, max_tokens=budget)), options.stop
            )

    def complete(
        self, messages: Sequence[ChatMessage], options: GenerationOptions | None = None
    ) -> str:
        return "".join(self.stream(messages, options))

    async def astream(
        self, messages: Sequence[ChatMessage], options: GenerationOptions | None = None
    ) -> AsyncIterator[str]:
        """Stream from a worker thread so the event loop is never blocked."""
        pieces = self.stream(messages, options)
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str | None, BaseException | None]] = asyncio.Queue()
        cancelled = threading.Event()

        def pump() -> None:
            try:
                for piece in pieces:
                    if cancelled.is_set():
                        break
                    loop.call_soon_threadsafe(queue.put_nowait, (piece, None))
            except BaseException as exc:  # handed to the consumer
                loop.call_soon_threadsafe(queue.put_nowait, (None, exc))
                return
            finally:
                pieces.close()
            loop.call_soon_threadsafe(queue.put_nowait, (None, None))

        worker = threading.Thread(target=pump, name=f"{self.name}-stream", daemon=True)
        worker.start()
        try:
            while True:
                piece, error = await queue.get()
                if error is not None:
                    raise error
                if piece is None:
                    return
                yield piece
        finally:
            cancelled.set()
