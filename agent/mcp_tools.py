"""The tools of congming's MCP server (agent/mcp_server.py): remember, recall, forget,
search_documents, ask, ingest. Each one calls the Agent for the caller's user and returns a
typed result; every failure reaches the client as an MCP tool error with a message that says
what to do (never a traceback).

Who the caller is: over stdio, the user the server was started for (``--user``); over HTTP,
the user the bearer key maps to, which the server's auth middleware (agent/mcp_server.py)
puts in the request's state under ``USER_STATE``.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import anyio.to_thread
from mcp.server.fastmcp import Context, FastMCP
from mcp.server.fastmcp.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import BaseModel, Field, ValidationError

from agent.errors import CongmingError
from agent.server_models import CitationOut, IngestOut, MemoryOut
from memory.episodic import MEMORY_COLLECTION

log = logging.getLogger("congming.mcp")

USER_STATE = "congming_user"  # request.state key: the user an HTTP request acts for
ASK_SESSION = "mcp"  # the working-memory session of `ask` when none is named

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ToolHost:
    """What the tools act on: the agent (one per server process), the user of stdio (and of
    HTTP without keys), and whether ``ingest`` may read files on this machine."""

    agent: Any
    user: str
    read_paths: bool = True

    def user_for(self, ctx: Context) -> str:
        request = ctx.request_context.request
        if request is None:  # stdio
            return self.user
        user = request.scope.get("state", {}).get(USER_STATE)
        if not user:  # the auth middleware always sets it; refuse rather than guess
            raise ToolError("This request carries no authenticated user; send 'Authorization: Bearer KEY'.")
        return user


@contextmanager
def _tool_errors(name: str) -> Iterator[None]:
    """The agent's errors as tool errors: its own message, or a pointer to the server log."""
    try:
        yield
    except ToolError:
        raise
    except CongmingError as exc:
        raise ToolError(str(exc)) from exc
    except Exception as exc:
        log.exception("MCP tool call %s failed", name)
        raise ToolError(f"congming failed unexpectedly ({type(exc).__name__}); see the server log.") from exc


async def _call(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run a blocking agent call in a worker thread; its errors become tool errors."""
    with _tool_errors(getattr(fn, "__name__", "agent call")):
        return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs))


class CongmingMCP(FastMCP):
    """FastMCP whose argument errors read as one line per bad argument, e.g. "Invalid arguments
    for search_documents: k: Input should be greater than or equal to 1"."""

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> Any:
        try:
            return await super().call_tool(name, arguments)
        except ToolError as exc:
            invalid = exc.__cause__
            if not (isinstance(invalid, ValidationError) and invalid.title.endswith("Arguments")):
                raise
            problems = "; ".join(f"{'.'.join(str(part) for part in error['loc']) or 'arguments'}: "
                                 f"{error['msg']}" for error in invalid.errors(include_url=False)[:5])
            raise ToolError(f"Invalid arguments for {name}: {problems}; see the tool's schema.") from None


# ---- results ------------------------------------------------------------------------------

class Remembered(BaseModel):
    facts: list[MemoryOut] = Field(description="The facts stored or reinforced (empty: already known).")


class Recollection(BaseModel):
    id: str = Field(description="The memory's id (fact-... or turn-...); `forget` takes it.")
    kind: str = Field(description="fact (something known about the user) or turn (what the user said).")
    text: str
    source: str = Field(description="Where it comes from: 'memory' for a fact, the conversation for a turn.")
    at: datetime | None = Field(description="When it was said (a turn) or last told (a fact).")


class Recalled(BaseModel):
    query: str
    memories: list[Recollection] = Field(description="Current facts first, then past turns, best first.")


class Forgotten(BaseModel):
    id: str
    forgotten: bool


class Passage(BaseModel):
    passage_id: str = Field(description="The chunk's id: cite it.")
    document_id: str
    source: str = Field(description="The file or name the document was ingested from.")
    title: str
    collection: str
    text: str
    score: float = Field(description="Fused reciprocal-rank score (dense + BM25 + graph).")
    signals: list[str] = Field(description="The retrievers that found it.")


class DocumentHits(BaseModel):
    query: str
    passages: list[Passage]
    notes: list[str] = Field(default_factory=list, description="Retrieval signals skipped, and why.")


class Answer(BaseModel):
    answer: str = Field(description="The checked answer, or a decline (\"I don't know\" with the reason).")
    action: str = Field(description="kept | annotated | extractive | abstained | no_evidence")
    declined: bool = Field(description="True when congming did not find support for an answer.")
    citations: list[CitationOut] = Field(description="The evidence each [number] in the answer refers to.")
    session_id: str
    turn_id: str


class Ingested(BaseModel):
    documents: list[IngestOut]
    failed: int = Field(description="How many documents failed (each with its error).")


def _ingested(outcome: Any) -> IngestOut:
    return IngestOut(source=outcome.source, status=outcome.status, document_id=outcome.document_id,
                     chunks=outcome.chunks, entities=outcome.entities, error=outcome.error)


def _passage(item: Any) -> Passage:
    document = item.document
    return Passage(passage_id=item.chunk.id, document_id=item.chunk.document_id,
                   source=document.source if document else "", title=document.title if document else "",
                   collection=item.chunk.collection, text=item.chunk.text, score=item.score,
                   signals=sorted(item.signals))


# ---- argument types -------------------------------------------------------------------------

Query = Annotated[str, Field(min_length=1, max_length=2000, description="What to look for.")]
TopK = Annotated[int, Field(ge=1, le=50, description="How many results at most.")]
UserText = Annotated[str, Field(min_length=1, max_length=2000,
                                description="A fact about the user, e.g. \"I live in Hangzhou\".")]
Question = Annotated[str, Field(min_length=1, max_length=4000, description="The question to answer.")]
Collection = Annotated[str, Field(min_length=1, max_length=100, description="The collection to use.")]
_READ_ONLY = ToolAnnotations(readOnlyHint=True, openWorldHint=False)


def register_tools(mcp: FastMCP, host: ToolHost) -> None:
    agent = host.agent

    @mcp.tool(annotations=ToolAnnotations(readOnlyHint=False, idempotentHint=True, openWorldHint=False))
    async def remember(text: UserText, ctx: Context) -> Remembered:
        """Remember a fact about the user now (what they would tell congming in a chat)."""
        facts = await _call(agent.remember, text, user_id=host.user_for(ctx))
        return Remembered(facts=[MemoryOut.model_validate(fact) for fact in facts])

    @mcp.tool(annotations=_READ_ONLY)
    async def recall(query: Query, ctx: Context, k: TopK = 5) -> Recalled:
        """What congming remembers about the user that bears on the query: current facts, then
        the past turns in which the user said it, with ids and when they were told."""
        user = host.user_for(ctx)
        memory = await _call(agent._long_term)  # raises, with the fix, when memory is off
        found = await _call(memory.recall, user, query, k=k)
        return Recalled(query=query, memories=[
            Recollection(id=p.id, kind=p.kind or "turn", text=p.text, source=p.source, at=p.at)
            for p in found])

    @mcp.tool(annotations=ToolAnnotations(destructiveHint=True, idempotentHint=True, openWorldHint=False))
    async def forget(memory_id: Annotated[str, Field(min_length=1, max_length=200, description=(
            "The id of one fact or turn (fact-... or turn-...), as `recall` or `remember` give it."))],
                     ctx: Context) -> Forgotten:
        """Forget one remembered fact or turn of the user, for good."""
        if not await _call(agent.forget, memory_id, user_id=host.user_for(ctx)):
            raise ToolError(f"No memory {memory_id!r} for this user; `recall` lists memories with their ids.")
        return Forgotten(id=memory_id, forgotten=True)

    @mcp.tool(annotations=_READ_ONLY)
    async def search_documents(query: Query, ctx: Context, k: TopK = 5,
                               collection: Collection | None = None) -> DocumentHits:
        """Hybrid search (dense vectors + BM25 keywords + knowledge graph) over the user's
        ingested documents; each passage comes with its source, title and passage id to cite."""
        user = host.user_for(ctx)
        # past turns live in the reserved memory collection; `recall` is the tool for them
        wanted = k if collection is not None else k + 20
        found = await _call(agent.retrieve, query, user_id=user, k=wanted, collection=collection)
        items = [item for item in found.items
                 if collection is not None or item.chunk.collection != MEMORY_COLLECTION][:k]
        notes = [f"{signal} retrieval skipped: {why}" for signal, why in found.skipped.items()]
        return DocumentHits(query=query, passages=[_passage(item) for item in items], notes=notes)

    @mcp.tool(annotations=ToolAnnotations(readOnlyHint=False, openWorldHint=False))
    async def ask(question: Question, ctx: Context,
                  session_id: Annotated[str, Field(min_length=1, max_length=200, description=(
                      "The conversation it belongs to (follow-up questions share one)."))] = ASK_SESSION,
                  ) -> Answer:
        """Ask congming: an answer checked against the user's documents and memory, with
        citations, or a decline when nothing supports one. The turn is remembered."""
        user = host.user_for(ctx)
        with _tool_errors("ask"):
            reply = await agent.achat(question, user_id=user, session_id=session_id)
        return Answer(answer=reply.answer, action=reply.action, declined=reply.abstained,
                      citations=[CitationOut(number=c.number, source=c.passage.source, text=c.passage.text,
                                             id=c.passage.id) for c in reply.citations],
                      session_id=reply.session_id, turn_id=reply.turn_id)

    @mcp.tool(annotations=ToolAnnotations(readOnlyHint=False, idempotentHint=True, openWorldHint=False))
    async def ingest(ctx: Context,
                     paths: Annotated[list[str] | None, Field(max_length=1000, description=(
                         "Files or folders on the server's machine (.txt .md .html .pdf .docx)."))] = None,
                     text: Annotated[str | None, Field(min_length=1, description="A document's text.")
                                     ] = None,
                     title: Annotated[str, Field(max_length=500, description="The text's title.")] = "",
                     source: Annotated[str | None, Field(min_length=1, max_length=500, description=(
                         "The text's stable name; ingesting the same source again replaces it."))] = None,
                     collection: Collection = "default") -> Ingested:
        """Add documents to the user's knowledge: files and folders (paths), or a text. Re-ingesting
        an unchanged file costs almost nothing; a changed one replaces the old version."""
        user = host.user_for(ctx)
        if (paths is None) == (text is None):
            raise ToolError("Give either `paths` (files or folders) or `text` (with an optional title).")
        if text is not None:
            name = source or f"mcp:{hashlib.sha256(text.encode()).hexdigest()[:16]}"
            outcome = await _call(agent.ingest_text, text, source=name, title=title, user_id=user,
                                  collection=collection)
            outcomes = [outcome]
        else:
            outcomes = (await _call(agent.ingest, _local_paths(host, paths), user_id=user,
                                    collection=collection)).outcomes
        documents = [_ingested(outcome) for outcome in outcomes]
        return Ingested(documents=documents, failed=sum(1 for d in documents if d.status == "failed"))


def _local_paths(host: ToolHost, paths: list[str]) -> list[Path]:
    if not host.read_paths:
        raise ToolError("This server does not read files on its machine for HTTP clients with API keys; "
                        "send the document's content as `text` instead.")
    if not paths:
        raise ToolError("`paths` is empty: name at least one file or folder.")
    found = [Path(p).expanduser() for p in paths]
    missing = [str(p) for p in found if not p.exists()]
    if missing:
        raise ToolError(f"No such file or folder: {', '.join(missing[:5])}. Give paths on the server's "
                        "machine (absolute, or relative to where the server was started).")
    return found
