"""POST /v1/chat/completions: an OpenAI chat request in, the agent's turn events out.

The last user message is the turn; earlier messages are not replayed, because the agent
keeps each (user, session) working memory itself. The session is the ``X-Session-Id``
header, or else derived from the conversation's first user message, so an OpenAI client
that resends the history keeps talking to the same working memory; a conversation of a
single user message starts that derived session afresh. A session the agent does not hold
(the server restarted) gets its working memory back from the resent earlier exchanges.

Streaming: reasoning tokens stream live as ``delta.reasoning_content``; the answer is held
back until verification and sent as ``delta.content`` once, final - the streamed draft may
be replaced (abstention, extractive quote, annotations) and OpenAI deltas cannot take text
back. The last chunk carries ``citations`` and ``congming`` (turn info), which OpenAI
clients ignore.

Usage is counted with the model's tokenizer (``Usage.counted``).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from fastapi.responses import StreamingResponse

from agent.events import Citation, Event, ReasoningToken, Reply, TurnDone, TurnFailed, VerificationDone
from agent.llm.base import ChatMessage
from agent.options import DEFAULT_OPTIONS, TurnOptions
from agent.server_http import ApiError, Caller, api_error, valid_name
from agent.server_models import (
    NAME_RULE,
    AssistantMessage,
    ChatCompletion,
    ChatCompletionRequest,
    Choice,
    CitationOut,
    TurnInfo,
    Usage,
)
from agent.sessions import pair_turns
from memory.parts import Turn

SESSION_HEADER = "X-Session-Id"
_EVENT = {"type": "object", "required": ["data"], "properties": {"data": {
    "type": "string", "description": "A chat.completion.chunk in JSON (the last one with choices: [] and "
    "usage, when stream_options.include_usage), an {\"error\": ...} object if the turn failed, "
    "then [DONE]."}}}
STREAMED = {200: {"description": "The chat.completion; with stream=true, server-sent events (one "
                  "described here), the answer sent once it is checked.",
                  "content": {"text/event-stream": {"schema": _EVENT}}}}
_ROLES = {"system": "system", "developer": "system", "assistant": "assistant"}  # the rest: user


@dataclass(frozen=True, slots=True)
class ChatTurn:
    message: str
    user_id: str
    session_id: str
    model: str
    include_usage: bool = False
    fresh: bool = False  # a derived session seen for the first time in this conversation
    options: TurnOptions = DEFAULT_OPTIONS
    history: tuple[Turn, ...] = ()  # the earlier exchanges the client sent, oldest first
    prompt: tuple[ChatMessage, ...] = ()  # every message the client sent, for usage.prompt_tokens


def _check_supported(request: ChatCompletionRequest, model_name: str) -> None:
    if request.model != model_name:
        raise ApiError(404, f"The model {request.model!r} does not exist here; this server serves "
                       f"{model_name!r} (see GET /v1/models).", code="model_not_found", param="model")
    if request.n != 1:
        raise ApiError(400, "Only n = 1 is supported: congming gives one verified answer per turn.",
                       code="unsupported_parameter", param="n")
    if request.tools:
        raise ApiError(400, "Tools (function calling) are not supported; leave `tools` out.",
                       code="unsupported_parameter", param="tools")


def _session(header: str | None, first_user_message: str, user_messages: int) -> tuple[str, bool]:
    if header is not None:
        if not valid_name(header):
            raise ApiError(400, f"{SESSION_HEADER} must be {NAME_RULE}.", code="invalid_session",
                           param=SESSION_HEADER)
        return header, False
    digest = hashlib.sha256(first_user_message.encode("utf-8", "replace")).hexdigest()[:16]
    return f"chat-{digest}", user_messages == 1


def chat_turn(request: ChatCompletionRequest, caller: Caller, session_header: str | None,
              model_name: str, max_tokens: int) -> ChatTurn:
    """What the agent is asked to do, or ApiError for a request it cannot serve. The request's
    max_tokens is honoured up to ``max_tokens`` (the server's llm.max_tokens)."""
    _check_supported(request, model_name)
    last = request.messages[-1]
    if last.role != "user":
        raise ApiError(400, f"The last message must be the user's (it is {last.role!r}): congming "
                       "answers the user's latest message.", code="invalid_messages", param="messages")
    try:
        users = [m.text() for m in request.messages if m.role == "user"]
        history = _exchanges(request.messages[:-1])
        prompt = tuple(ChatMessage(_ROLES.get(m.role, "user"), m.text()) for m in request.messages)
    except ValueError as exc:
        raise ApiError(400, f"{exc}.", code="unsupported_content", param="messages") from exc
    session_id, fresh = _session(session_header, users[0], len(users))
    include_usage = bool(request.stream_options and request.stream_options.include_usage)
    asked = request.max_completion_tokens or request.max_tokens
    options = TurnOptions(temperature=request.temperature,
                          max_tokens=min(asked, max_tokens) if asked else None)
    return ChatTurn(users[-1], caller.user_for(request.user), session_id, request.model, include_usage, fresh,
                    options, history, prompt)


def _exchanges(messages: list[Any]) -> tuple[Turn, ...]:
    """Each user message with the assistant's reply after it (system and tool messages skipped)."""
    return tuple(pair_turns((m.role, m.text(), "") for m in messages if m.role in ("user", "assistant")))


def _citations(citations: tuple[Citation, ...]) -> list[CitationOut]:
    return [CitationOut(number=c.number, source=c.passage.source, text=c.passage.text, id=c.passage.id)
            for c in citations]


def _info(reply: Reply) -> TurnInfo:
    return TurnInfo(user=reply.user_id, session_id=reply.session_id, turn_id=reply.turn_id,
                    action=reply.action, seconds=round(reply.seconds, 4))


async def _usage(agent: Any, turn: ChatTurn, reply: Reply) -> Usage:
    return await asyncio.to_thread(Usage.counted, agent.llm, turn.prompt, reply)


async def _prepare(agent: Any, turn: ChatTurn) -> None:
    if turn.fresh:
        await asyncio.to_thread(agent.reset_session, user_id=turn.user_id, session_id=turn.session_id)
    elif turn.history:
        await asyncio.to_thread(agent.resume_session, turn.history, user_id=turn.user_id,
                                session_id=turn.session_id)


async def complete(agent: Any, turn: ChatTurn) -> ChatCompletion:
    """The whole turn as one chat.completion (errors raised for the handlers to shape)."""
    await _prepare(agent, turn)
    reply = await agent.achat(turn.message, user_id=turn.user_id, session_id=turn.session_id,
                              options=turn.options)
    message = AssistantMessage(content=reply.answer, reasoning_content=reply.reasoning or None)
    return ChatCompletion(id=f"chatcmpl-{reply.turn_id}", created=int(time.time()), model=turn.model,
                          choices=[Choice(message=message)], usage=await _usage(agent, turn, reply),
                          citations=_citations(reply.citations), congming=_info(reply))


class _Chunks:
    """Server-sent events in the chat.completion.chunk shape."""

    def __init__(self, model: str) -> None:
        self.id = f"chatcmpl-{uuid.uuid4().hex}"
        self.created = int(time.time())
        self.model = model

    def chunk(self, delta: dict[str, Any] | None, finish_reason: str | None = None, **extra: Any) -> str:
        choices = [{"index": 0, "delta": delta, "finish_reason": finish_reason}] if delta is not None else []
        body = {"id": self.id, "object": "chat.completion.chunk", "created": self.created,
                "model": self.model, "choices": choices, **extra}
        return _sse(body)


def _sse(body: dict[str, Any] | str) -> str:
    data = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    return f"data: {data}\n\n"


async def stream(agent: Any, turn: ChatTurn) -> StreamingResponse:
    """The turn as server-sent events. Errors before the first token are plain HTTP errors."""
    await _prepare(agent, turn)
    events = agent.stream(turn.message, user_id=turn.user_id, session_id=turn.session_id,
                          options=turn.options)
    first = await anext(events)
    if isinstance(first, TurnFailed):
        await events.aclose()
        raise api_error(first.error)
    return StreamingResponse(_translate(agent, first, events, turn), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


async def _translate(agent: Any, first: Event, events: AsyncIterator[Event],
                     turn: ChatTurn) -> AsyncIterator[str]:
    chunks = _Chunks(turn.model)
    sent_answer = False
    yield chunks.chunk({"role": "assistant", "content": ""})
    async with aclosing(events):
        pending: list[Event] = [first]
        while True:
            event = pending.pop() if pending else await anext(events, None)
            if event is None:
                break
            if isinstance(event, ReasoningToken) and event.text:
                yield chunks.chunk({"reasoning_content": event.text})
            elif isinstance(event, VerificationDone):
                sent_answer = True
                yield chunks.chunk({"content": event.answer})
            elif isinstance(event, TurnDone):
                reply = event.reply
                if not sent_answer:
                    yield chunks.chunk({"content": reply.answer})
                citations = [c.model_dump() for c in _citations(reply.citations)]
                yield chunks.chunk({}, "stop", citations=citations, congming=_info(reply).model_dump())
                if turn.include_usage:
                    yield chunks.chunk(None, usage=(await _usage(agent, turn, reply)).model_dump())
                break
            elif isinstance(event, TurnFailed):
                yield _sse(api_error(event.error).body())
                break
    yield _sse("[DONE]")
