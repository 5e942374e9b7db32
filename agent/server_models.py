"""Request and response bodies of the HTTP API (OpenAI's chat completions shape, plus congming's
document and memory endpoints). Unknown request fields are accepted and ignored, as OpenAI
clients send many; fields congming cannot honour are refused with a clear error."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.llm.base import ChatMessage
from agent.llm.estimate import estimate_message_tokens

if TYPE_CHECKING:
    from agent.events import Reply

log = logging.getLogger("congming.server")

Role = Literal["system", "developer", "user", "assistant", "tool", "function"]

# A user or session name: no control characters, and not only spaces (the API schema says so
# with these patterns; the server checks them with the same ones).
_NAME_CHAR = r"[^\x00-\x1f\x7f-\x9f]"
_NAME_KEY = r"[^\s\ufeff\x00-\x1f\x7f-\x9f]"
SESSION_PATTERN = rf"^{_NAME_CHAR}*{_NAME_KEY}{_NAME_CHAR}*$"
USER_PATTERN = rf"^(?:{_NAME_CHAR}*{_NAME_KEY}{_NAME_CHAR}*)?$"  # empty: the key's own user
NAME_RULE = "at most 128 characters, not only spaces, without control characters"


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="allow")


class ContentPart(_Lenient):
    type: str
    text: str | None = None


class ChatMessageIn(_Lenient):
    role: Role
    content: str | list[ContentPart] | None = None
    name: str | None = None

    def text(self) -> str:
        """The message's text; ValueError for parts that are not text (images, audio)."""
        if self.content is None or isinstance(self.content, str):
            return self.content or ""
        others = sorted({part.type for part in self.content if part.type != "text"})
        if others:
            raise ValueError(f"message parts of type {', '.join(others)} are not supported; send text only")
        return "".join(part.text or "" for part in self.content)


class StreamOptions(_Lenient):
    include_usage: bool = False


class ChatCompletionRequest(_Lenient):
    model: str = Field(description="The advertised model id (GET /v1/models).")
    messages: list[ChatMessageIn] = Field(
        min_length=1,
        description="The conversation; the last message must be the user's and is the turn. congming "
        "keeps each session's working memory itself; earlier messages only restore it when the server "
        "does not hold it (after a restart).",
    )
    stream: bool = False
    stream_options: StreamOptions | None = None
    user: str | None = Field(
        None, max_length=128, json_schema_extra={"pattern": USER_PATTERN},
        description=f"With a multi-user API key: the end user whose memory to use ({NAME_RULE}).",
    )
    temperature: float | None = Field(None, ge=0, le=2, description="Sampling temperature for this turn.")
    max_tokens: int | None = Field(None, ge=1, description="Most new tokens for this turn, up to the "
                                   "server's llm.max_tokens.")
    max_completion_tokens: int | None = Field(None, ge=1, description="The newer name of max_tokens.")
    # the limits below are documented in the schema and checked by the server, with a clearer message
    n: int = Field(1, ge=1, json_schema_extra={"maximum": 1}, description="Only 1 is supported.")
    tools: list[dict[str, Any]] | None = Field(None, json_schema_extra={"maxItems": 0},
                                               description="Not supported; must be empty.")


class Usage(BaseModel):
    """Tokens counted with the model's tokenizer (``LLM.count_tokens``)."""

    prompt_tokens: int = Field(ge=0, description="The request's messages, chat template included (the "
                               "evidence and memory congming adds to the model's context are not counted).")
    completion_tokens: int = Field(ge=0, description="Tokens the model generated for the turn (reasoning "
                                   "included); when no model wrote (the evidence reader, a computed answer), "
                                   "the reply's text in the model's tokens.")
    total_tokens: int = Field(ge=0)

    @classmethod
    def counted(cls, llm: Any, prompt: Sequence[ChatMessage], reply: Reply) -> Usage:
        """A turn's usage: ``prompt`` (the caller's messages) and the reply, in ``llm``'s tokens.
        Blocking (a tokenizer call or two); a tokenizer that fails gives the estimate instead."""
        prompt_tokens = _count(llm, list(prompt)) if prompt else 0
        completion = reply.tokens
        if completion <= 0:  # no model wrote: the reply's text, without the chat template's tokens
            text = "\n".join(part for part in (reply.reasoning, reply.answer) if part)
            empty = _count(llm, [ChatMessage("assistant", "")])
            completion = max(_count(llm, [ChatMessage("assistant", text)]) - empty, 0) if text else 0
        return cls(prompt_tokens=prompt_tokens, completion_tokens=completion,
                   total_tokens=prompt_tokens + completion)


def _count(llm: Any, messages: list[ChatMessage]) -> int:
    try:
        return int(llm.count_tokens(messages))
    except Exception:  # usage must not fail a turn that has been answered
        log.warning("counting tokens with the model failed; usage is estimated", exc_info=True)
        return estimate_message_tokens(m.content for m in messages)


class CitationOut(BaseModel):
    number: int = Field(description="The [number] in the answer.")
    source: str
    text: str
    id: str = ""


class TurnInfo(BaseModel):
    """congming's own fields; OpenAI clients ignore them."""

    user: str
    session_id: str
    turn_id: str
    action: str = Field(description="kept | annotated | extractive | abstained | no_evidence")
    seconds: float


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str
    reasoning_content: str | None = Field(None, description="The chain of thought (not part of the answer).")


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop"] = "stop"


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: Usage
    citations: list[CitationOut] = Field(default_factory=list)
    congming: TurnInfo


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "congming"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class ErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class ErrorResponse(BaseModel):
    error: ErrorDetail


class DocumentIn(BaseModel):
    text: str = Field(min_length=1, description="The document's text.")
    source: str = Field(min_length=1, max_length=500,
                        description="Its stable name; ingesting the same source again replaces it.")
    title: str = Field("", max_length=500)
    collection: str = Field("default", min_length=1, max_length=100)


class IngestOut(BaseModel):
    source: str
    status: Literal["added", "replaced", "unchanged", "failed"]
    document_id: str | None
    chunks: int
    entities: int
    error: str = ""


class DocumentOut(BaseModel):
    id: str
    source: str
    title: str
    collection: str


class DocumentList(BaseModel):
    object: Literal["list"] = "list"
    data: list[DocumentOut]


class Deleted(BaseModel):
    id: str
    deleted: bool


class MemoryIn(BaseModel):
    text: str = Field(min_length=1, max_length=2000, description="A fact about the user to remember.")


class MemoryOut(BaseModel):
    """One remembered fact about the user."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    text: str
    subject: str
    relation: str
    object: str
    strength: float = Field(description="0..1 now, after decay; repeating a fact reinforces it.")
    reinforcements: int
    first_learned: datetime
    last_reinforced: datetime
    valid_from: datetime
    valid_to: datetime | None = Field(description="Set when a newer fact superseded this one.")
    provenance: list[str] = Field(description="The turns or notes it was learned from.")


class MemoryList(BaseModel):
    object: Literal["list"] = "list"
    data: list[MemoryOut]


class MemoriesDeleted(BaseModel):
    deleted: int = Field(description="How many facts, remembered turns and queued turns were deleted.")
