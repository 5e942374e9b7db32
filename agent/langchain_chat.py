"""congming as a LangChain chat model: ``ChatCongming``, a ``BaseChatModel`` over an Agent.

    from agent.langchain_chat import ChatCongming
    chat = ChatCongming(agent=agent, user_id="alice")   # no agent: one built from Settings.load()
    chat.invoke("Where does Lin live?").content

The last message must be the user's: it is the turn. congming keeps each session's working
memory itself; the earlier messages (user and assistant pairs) only restore it when the agent
does not hold it, as the HTTP API does. Without a ``session_id`` the session is derived from the
conversation's first user message, and a conversation of one user message starts it afresh.
System messages are not used (congming has its own prompt); tool calling, structured output
and image, audio or file input are not supported.

The reply is the checked answer (annotated, quoted or declined by the grounding policy). Its
``response_metadata`` has ``citations`` (number, source, text, id), ``action``, ``abstained``,
``user_id``, ``session_id``, ``turn_id`` and ``model_name``; ``additional_kwargs`` has
``reasoning_content`` when the agent reasoned; ``usage_metadata`` counts tokens with the model's
tokenizer. Streaming sends the reasoning as it is generated and the answer once, when checked
(the draft may be replaced, and a chunk cannot be taken back), then a last chunk with the
metadata. ``stop`` cuts the answer at the first stop string.

langchain_core is optional (extra "langchain"): importing this module does not import it; the
class is built on first use of ``ChatCongming`` (or ``chat_congming_class()``).
"""

from __future__ import annotations

import asyncio
import hashlib
import queue
import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from agent.events import Event, ReasoningToken, Reply, TurnDone, TurnFailed, VerificationDone
from agent.llm.base import ChatMessage
from agent.options import TurnOptions
from agent.sessions import pair_turns
from agent.settings import DEFAULT_USER_ID
from graph.errors import InputError, require

_PURPOSE = "ChatCongming (congming as a LangChain chat model)"
_ROLES = {"human": "user", "ai": "assistant", "system": "system"}  # LangChain message type -> role


@dataclass(frozen=True, slots=True)
class Conversation:
    """What one call asks of the agent."""

    question: str
    session_id: str
    fresh: bool  # a derived session seen with one user message: start it afresh
    history: tuple[Any, ...]  # earlier (user, assistant) turns, oldest first
    prompt: tuple[ChatMessage, ...]  # every message, for usage


def _text(message: Any) -> str:
    """A message's text; InputError for content blocks that are not text."""
    content = message.content
    if isinstance(content, str):
        return content
    parts = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict) and block.get("type") == "text":
            parts.append(str(block.get("text", "")))
        else:
            kind = block.get("type") if isinstance(block, dict) else type(block).__name__
            raise InputError(f"ChatCongming reads text only; a {kind!r} content block cannot be used. "
                             "Send the text of the message.")
    return "".join(parts)


def conversation(messages: Sequence[Any], session_id: str | None) -> Conversation:
    """The turn a list of LangChain messages asks for (see the module docstring)."""
    if not messages:
        raise InputError("ChatCongming needs at least one message: the user's question.")
    last = messages[-1]
    if last.type != "human":
        raise InputError(f"The last message must be the user's (a HumanMessage), not {last.type!r}: "
                         "congming answers the user's latest message.")
    said = [(_ROLES.get(m.type, "user"), _text(m)) for m in messages if m.type in _ROLES]
    users = [text for role, text in said if role == "user"]
    history = tuple(pair_turns((role, text, "") for role, text in said[:-1]))
    prompt = tuple(ChatMessage(role, text) for role, text in said)  # type: ignore[arg-type]
    if session_id is not None:
        return Conversation(users[-1], session_id, False, history, prompt)
    digest = hashlib.sha256(users[0].encode("utf-8", "replace")).hexdigest()[:16]
    return Conversation(users[-1], f"chat-{digest}", len(users) == 1, history, prompt)


def cut_at_stop(text: str, stop: Sequence[str] | None) -> str:
    """``text`` up to the first of the stop strings (all of it when none occurs)."""
    found = [i for s in stop or () if s and (i := text.find(s)) >= 0]
    return text[:min(found)] if found else text


def citations(reply: Reply) -> list[dict[str, Any]]:
    return [{"number": c.number, "source": c.passage.source, "text": c.passage.text, "id": c.passage.id}
            for c in reply.citations]


def response_metadata(reply: Reply, model_name: str) -> dict[str, Any]:
    return {"model_name": model_name, "finish_reason": "stop", "citations": citations(reply),
            "action": reply.action, "abstained": reply.abstained, "user_id": reply.user_id,
            "session_id": reply.session_id, "turn_id": reply.turn_id}


def usage_metadata(llm: Any, prompt: Sequence[ChatMessage], reply: Reply) -> dict[str, int]:
    """Tokens in the model's tokenizer, as the HTTP API counts them (blocking)."""
    from agent.server_models import Usage  # pydantic only: no server dependencies

    usage = Usage.counted(llm, prompt, reply)
    return {"input_tokens": usage.prompt_tokens, "output_tokens": usage.completion_tokens,
            "total_tokens": usage.total_tokens}


_END = object()


def _sync_events(events: AsyncIterator[Event]) -> Iterator[Event]:
    """An async event stream read from sync code: the stream runs on its own loop in a thread
    (so this works whether or not the caller is inside an event loop)."""
    handoff: queue.Queue[Any] = queue.Queue()

    async def pump() -> None:
        async for event in events:
            handoff.put(event)

    def run() -> None:
        try:
            asyncio.run(pump())
        except BaseException as exc:  # handed to the reader
            handoff.put(exc)
        finally:
            handoff.put(_END)

    threading.Thread(target=run, name="congming-langchain-stream", daemon=True).start()
    while (item := handoff.get()) is not _END:
        if isinstance(item, BaseException):
            raise item
        yield item


@cache
def chat_congming_class() -> type:
    """The ``BaseChatModel`` subclass (built once; needs langchain_core)."""
    chat_models = require("langchain_core.language_models.chat_models", "langchain", _PURPOSE)
    messages_module = require("langchain_core.messages", "langchain", _PURPOSE)
    outputs = require("langchain_core.outputs", "langchain", _PURPOSE)
    from pydantic import ConfigDict, Field, PrivateAttr

    AIMessage, AIMessageChunk = messages_module.AIMessage, messages_module.AIMessageChunk
    ChatGeneration, ChatGenerationChunk = outputs.ChatGeneration, outputs.ChatGenerationChunk

    class ChatCongming(chat_models.BaseChatModel):
        """congming's checked answers, with citations, as a LangChain chat model."""

        model_config = ConfigDict(arbitrary_types_allowed=True, populate_by_name=True)

        agent: Any = Field(default=None, exclude=True,
                           description="An Agent; None: one built from Settings.load() on first use.")
        user_id: str = Field(default=DEFAULT_USER_ID, min_length=1)
        session_id: str | None = Field(default=None, description="None: derived from the conversation.")
        model_name: str = Field(default="congming", alias="model", description="The name reported.")
        temperature: float | None = Field(default=None, ge=0, le=2)
        max_tokens: int | None = Field(default=None, ge=1)
        stop: list[str] | None = None
        streaming: bool = False
        _own_agent: Any = PrivateAttr(default=None)
        _agent_lock: Any = PrivateAttr(default_factory=threading.Lock)

        @property
        def _llm_type(self) -> str:
            return "congming"

        @property
        def _identifying_params(self) -> dict[str, Any]:
            return {"model_name": self.model_name, "user_id": self.user_id, "session_id": self.session_id,
                    "temperature": self.temperature, "max_tokens": self.max_tokens}

        def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> dict[str, Any]:
            params: dict[str, Any] = {"ls_provider": "congming", "ls_model_type": "chat",
                                      "ls_model_name": kwargs.get("model") or self.model_name}
            temperature = kwargs.get("temperature", self.temperature)
            max_tokens = kwargs.get("max_tokens", self.max_tokens)
            if temperature is not None:
                params["ls_temperature"] = temperature
            if max_tokens is not None:
                params["ls_max_tokens"] = max_tokens
            if stop or self.stop:
                params["ls_stop"] = stop or self.stop
            return params

        # ---- the agent ----------------------------------------------------------------
        def the_agent(self) -> Any:
            """The agent given, or the one built (and opened) from settings on first use."""
            if self.agent is not None:
                return self.agent
            with self._agent_lock:
                if self._own_agent is None:
                    from agent.core import Agent

                    self._own_agent = Agent().open()
                return self._own_agent

        def close(self) -> None:
            """Close the agent this model built (an agent given to it stays open)."""
            with self._agent_lock:
                if self._own_agent is not None:
                    self._own_agent.close()
                    self._own_agent = None

        def _options(self, kwargs: dict[str, Any]) -> TurnOptions:
            return TurnOptions(temperature=kwargs.get("temperature", self.temperature),
                               max_tokens=kwargs.get("max_tokens", self.max_tokens))

        @staticmethod
        def _prepare(agent: Any, talk: Conversation, user_id: str) -> None:
            if talk.fresh:
                agent.reset_session(user_id=user_id, session_id=talk.session_id)
            elif talk.history:
                agent.resume_session(talk.history, user_id=user_id, session_id=talk.session_id)

        def _message(self, agent: Any, talk: Conversation, reply: Reply, stop: list[str] | None) -> Any:
            extra = {"reasoning_content": reply.reasoning} if reply.reasoning else {}
            return AIMessage(content=cut_at_stop(reply.answer, stop or self.stop), additional_kwargs=extra,
                             response_metadata=response_metadata(reply, self.model_name),
                             usage_metadata=usage_metadata(agent.llm, talk.prompt, reply))

        # ---- LangChain's methods ------------------------------------------------------
        def _generate(self, messages: list[Any], stop: list[str] | None = None, run_manager: Any = None,
                      **kwargs: Any) -> Any:
            agent, talk = self.the_agent(), conversation(messages, self.session_id)
            self._prepare(agent, talk, self.user_id)
            reply = agent.chat(talk.question, user_id=self.user_id, session_id=talk.session_id,
                               options=self._options(kwargs))
            message = self._message(agent, talk, reply, stop)
            return outputs.ChatResult(generations=[ChatGeneration(message=message)])

        async def _agenerate(self, messages: list[Any], stop: list[str] | None = None,
                             run_manager: Any = None, **kwargs: Any) -> Any:
            agent = await asyncio.to_thread(self.the_agent)
            talk = conversation(messages, self.session_id)
            await asyncio.to_thread(self._prepare, agent, talk, self.user_id)
            reply = await agent.achat(talk.question, user_id=self.user_id, session_id=talk.session_id,
                                      options=self._options(kwargs))
            message = await asyncio.to_thread(self._message, agent, talk, reply, stop)
            return outputs.ChatResult(generations=[ChatGeneration(message=message)])

        def _stream(self, messages: list[Any], stop: list[str] | None = None, run_manager: Any = None,
                    **kwargs: Any) -> Iterator[Any]:
            agent, talk = self.the_agent(), conversation(messages, self.session_id)
            self._prepare(agent, talk, self.user_id)
            events = agent.stream(talk.question, user_id=self.user_id, session_id=talk.session_id,
                                  options=self._options(kwargs))
            chunks = _Chunks(self, agent, talk, stop or self.stop)
            for event in _sync_events(events):
                for chunk in chunks.translate(event):
                    if run_manager is not None and chunk.message.content:
                        run_manager.on_llm_new_token(chunk.message.content, chunk=chunk)
                    yield chunk

        async def _astream(self, messages: list[Any], stop: list[str] | None = None, run_manager: Any = None,
                           **kwargs: Any) -> AsyncIterator[Any]:
            agent = await asyncio.to_thread(self.the_agent)
            talk = conversation(messages, self.session_id)
            await asyncio.to_thread(self._prepare, agent, talk, self.user_id)
            chunks = _Chunks(self, agent, talk, stop or self.stop)
            async for event in agent.stream(talk.question, user_id=self.user_id, session_id=talk.session_id,
                                            options=self._options(kwargs)):
                if isinstance(event, TurnDone):  # the last chunk counts tokens: off the event loop
                    ready = await asyncio.to_thread(chunks.translate, event)
                else:
                    ready = chunks.translate(event)
                for chunk in ready:
                    if run_manager is not None and chunk.message.content:
                        await run_manager.on_llm_new_token(chunk.message.content, chunk=chunk)
                    yield chunk

    class _Chunks:
        """Agent events into LangChain chunks: reasoning live, the checked answer once, then a last
        chunk with the metadata."""

        def __init__(self, model: Any, agent: Any, talk: Conversation, stop: list[str] | None) -> None:
            self.model, self.agent, self.talk, self.stop = model, agent, talk, stop
            self.sent_answer = False

        def translate(self, event: Event) -> list[Any]:
            if isinstance(event, ReasoningToken) and event.text:
                return [ChatGenerationChunk(message=AIMessageChunk(
                    content="", additional_kwargs={"reasoning_content": event.text}))]
            if isinstance(event, VerificationDone):
                self.sent_answer = True
                answer = cut_at_stop(event.answer, self.stop)
                return [ChatGenerationChunk(message=AIMessageChunk(content=answer))]
            if isinstance(event, TurnDone):
                reply = event.reply
                answer = "" if self.sent_answer else cut_at_stop(reply.answer, self.stop)
                return [ChatGenerationChunk(message=AIMessageChunk(
                    content=answer, chunk_position="last",
                    response_metadata=response_metadata(reply, self.model.model_name),
                    usage_metadata=usage_metadata(self.agent.llm, self.talk.prompt, reply)))]
            if isinstance(event, TurnFailed):
                raise event.error
            return []

    ChatCongming.__module__ = __name__
    return ChatCongming


def __getattr__(name: str) -> Any:
    # `from agent.langchain_chat import ChatCongming` builds the class (and imports LangChain) here.
    if name == "ChatCongming":
        return chat_congming_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
