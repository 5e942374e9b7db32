"""/v1/documents and /v1/memories: a user's knowledge and long-term memory over HTTP.

Every call acts for the caller's user (the API key's, refined by ``?user=`` with a
multi-user key); the agent's blocking calls run in worker threads.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from agent.server_http import AgentDep, ApiError, CallerDep
from agent.server_models import (
    Deleted,
    DocumentIn,
    DocumentList,
    DocumentOut,
    IngestOut,
    MemoriesDeleted,
    MemoryIn,
    MemoryList,
    MemoryOut,
)

UserQuery = Annotated[str | None, Query(max_length=128, description="With a multi-user key: the end user.")]


def _ingested(outcome: Any) -> IngestOut:
    return IngestOut(source=outcome.source, status=outcome.status, document_id=outcome.document_id,
                     chunks=outcome.chunks, entities=outcome.entities, error=outcome.error)


def _upload_text(data: bytes, filename: str, max_bytes: int) -> Any:
    """Read uploaded bytes as the loaders read a file of that name (pdf, docx, html, md, txt)."""
    from graph.loaders import LoadError, load_text

    name = Path(filename).name
    if not name or name in (".", ".."):
        raise ApiError(400, "`filename` must be a file name such as report.pdf.", code="invalid_filename",
                       param="filename")
    with tempfile.TemporaryDirectory(prefix="congming-upload-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            return load_text(path, max_bytes=max_bytes)
        except LoadError as exc:
            status = 415 if exc.reason in ("unsupported", "binary") else 400
            raise ApiError(status, f"{name}: {exc.detail}", code=f"document_{exc.reason}") from exc


def build_knowledge_router(max_upload_bytes: int) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["knowledge"])

    @router.post("/documents", response_model=IngestOut, summary="Ingest a document's text")
    async def ingest_text(caller: CallerDep, agent: AgentDep, body: DocumentIn,
                          user: UserQuery = None) -> IngestOut:
        user_id = caller.user_for(user)
        outcome = await asyncio.to_thread(agent.ingest_text, body.text, source=body.source, title=body.title,
                                          user_id=user_id, collection=body.collection)
        return _ingested(outcome)

    @router.post("/documents/upload", response_model=IngestOut,
                 summary="Ingest a file (.txt .md .html .pdf .docx) sent as the raw request body")
    async def upload(caller: CallerDep, agent: AgentDep, request: Request,
                     filename: Annotated[str, Query(min_length=1, max_length=255,
                                                    description="Its name; the extension picks the reader, "
                                                    "and uploading the same name again replaces it.")],
                     collection: Annotated[str, Query(min_length=1, max_length=100)] = "default",
                     user: UserQuery = None) -> IngestOut:
        user_id = caller.user_for(user)
        data = await request.body()
        loaded = await asyncio.to_thread(_upload_text, data, filename, max_upload_bytes)
        outcome = await asyncio.to_thread(agent.ingest_text, loaded.text, source=Path(filename).name,
                                          title=loaded.title, user_id=user_id, collection=collection)
        return _ingested(outcome)

    @router.get("/documents", response_model=DocumentList, summary="List the user's documents")
    async def documents(caller: CallerDep, agent: AgentDep, user: UserQuery = None) -> DocumentList:
        docs = await asyncio.to_thread(agent.documents, user_id=caller.user_for(user))
        return DocumentList(data=[DocumentOut(id=d.id, source=d.source, title=d.title,
                                              collection=d.collection) for d in docs])

    @router.delete("/documents/{document_id}", response_model=Deleted, summary="Forget a document completely")
    async def forget_document(caller: CallerDep, agent: AgentDep, document_id: str,
                              user: UserQuery = None) -> Deleted:
        removed = await asyncio.to_thread(agent.forget_document, document_id, user_id=caller.user_for(user))
        if not removed:
            raise ApiError(404, f"No document {document_id!r} for this user; see GET /v1/documents.",
                           code="document_not_found", param="document_id")
        return Deleted(id=document_id, deleted=True)

    _memory_routes(router)
    return router


def _memory_routes(router: APIRouter) -> None:
    @router.get("/memories", response_model=MemoryList, summary="What congming remembers about the user")
    async def memories(caller: CallerDep, agent: AgentDep, user: UserQuery = None,
                       history: bool = Query(False, description="Also the values that no longer hold "
                                                                "(valid_to set), after the current ones.")
                       ) -> MemoryList:
        facts = await asyncio.to_thread(agent.memories, user_id=caller.user_for(user), history=history)
        return MemoryList(data=[MemoryOut.model_validate(fact) for fact in facts])

    @router.post("/memories", response_model=MemoryList, summary="Tell congming a fact to remember, now")
    async def remember(caller: CallerDep, agent: AgentDep, body: MemoryIn,
                       user: UserQuery = None) -> MemoryList:
        facts = await asyncio.to_thread(agent.remember, body.text, user_id=caller.user_for(user))
        return MemoryList(data=[MemoryOut.model_validate(fact) for fact in facts])

    @router.delete("/memories/{memory_id}", response_model=Deleted,
                   summary="Forget one fact (fact-...) or remembered turn (turn-...) for good")
    async def forget(caller: CallerDep, agent: AgentDep, memory_id: str, user: UserQuery = None) -> Deleted:
        removed = await asyncio.to_thread(agent.forget, memory_id, user_id=caller.user_for(user))
        if not removed:
            raise ApiError(404, f"No memory {memory_id!r} for this user; list them with GET /v1/memories.",
                           code="memory_not_found", param="memory_id")
        return Deleted(id=memory_id, deleted=True)

    @router.delete("/memories", response_model=MemoriesDeleted,
                   summary="Forget everything remembered about the user, for good (all=true required)")
    async def forget_all(caller: CallerDep, agent: AgentDep, user: UserQuery = None,
                         confirm: Annotated[bool, Query(alias="all", description="Must be true.")] = False,
                         ) -> MemoriesDeleted:
        if not confirm:
            raise ApiError(400, "To forget everything about this user, send DELETE /v1/memories?all=true.",
                           code="confirmation_required", param="all")
        removed = await asyncio.to_thread(agent.forget, user_id=caller.user_for(user), everything=True)
        return MemoriesDeleted(deleted=int(removed))
