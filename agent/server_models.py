"""Request and response bodies of the HTTP API (OpenAI's chat completions shape, plus congming's
document and memory endpoints). Unknown request fields are accepted and ignored, as OpenAI
clients send many; fields congming cannot honour are refused with a clear error."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["system", "developer", "user", "assistant", "tool", "function"]


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
        description="The conversation; the last message must be the user's and is the turn. Earlier "
        "messages are not replayed: congming keeps each session's working memory itself.",
    )
    stream: bool = False
    stream_options: StreamOptions | None = None
    user: str | None = Field(
        None, max_length=128, description="With a multi-user API key: the end user whose memory to use."
    )
    temperature: float | None = Field(None, ge=0, le=2, description="Sampling temperature for this turn.")
    max_tokens: int | None = Field(None, ge=1, description="Most new tokens for this turn, up to the "
                                   "server's llm.max_tokens.")
    max_completion_tokens: int | None = Field(None, ge=1, description="The newer name of max_tokens.")
    n: int = Field(1, ge=1, description="Only 1 is supported.")
    tools: list[dict[str, Any]] | None = Field(None, description="Not supported; must be empty.")


class Usage(BaseModel):
    prompt_tokens: int = Field(description="Not measured by congming (the agent builds the prompt): 0.")
    completion_tokens: int
    total_tokens: int


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
