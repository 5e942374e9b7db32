"""Chat history that survives a restart: Chainlit's SQLAlchemy data layer on a SQLite file, its
tables created here (Chainlit does not create them), and element files (citations, graphs) kept
on local disk, readable only by the user whose thread they belong to."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import quote

from chainlit.data.sql_alchemy import SQLAlchemyDataLayer
from chainlit.data.storage_clients.base import BaseStorageClient

from agent.sessions import pair_turns
from memory.parts import Turn

ELEMENTS_ROUTE = "/congming/elements"

# The columns Chainlit 2.x writes (chainlit/data/sql_alchemy.py, Step.to_dict, Element.to_dict).
SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    "id" TEXT PRIMARY KEY,
    "identifier" TEXT NOT NULL UNIQUE,
    "metadata" TEXT NOT NULL,
    "createdAt" TEXT
);
CREATE TABLE IF NOT EXISTS threads (
    "id" TEXT PRIMARY KEY,
    "createdAt" TEXT,
    "name" TEXT,
    "userId" TEXT,
    "userIdentifier" TEXT,
    "tags" TEXT,
    "metadata" TEXT,
    FOREIGN KEY ("userId") REFERENCES users("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS threads_user ON threads ("userId");
CREATE TABLE IF NOT EXISTS steps (
    "id" TEXT PRIMARY KEY,
    "name" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "threadId" TEXT NOT NULL,
    "parentId" TEXT,
    "streaming" BOOLEAN NOT NULL,
    "waitForAnswer" BOOLEAN,
    "isError" BOOLEAN,
    "metadata" TEXT,
    "tags" TEXT,
    "input" TEXT,
    "output" TEXT,
    "createdAt" TEXT,
    "command" TEXT,
    "modes" TEXT,
    "start" TEXT,
    "end" TEXT,
    "generation" TEXT,
    "showInput" TEXT,
    "language" TEXT,
    "indent" INT,
    "defaultOpen" BOOLEAN,
    "autoCollapse" BOOLEAN,
    "icon" TEXT,
    FOREIGN KEY ("threadId") REFERENCES threads("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS steps_thread ON steps ("threadId");
CREATE TABLE IF NOT EXISTS elements (
    "id" TEXT PRIMARY KEY,
    "threadId" TEXT,
    "type" TEXT,
    "url" TEXT,
    "chainlitKey" TEXT,
    "name" TEXT NOT NULL,
    "display" TEXT,
    "objectKey" TEXT,
    "size" TEXT,
    "page" INT,
    "language" TEXT,
    "forId" TEXT,
    "mime" TEXT,
    "props" TEXT,
    "autoPlay" BOOLEAN,
    "playerConfig" TEXT,
    FOREIGN KEY ("threadId") REFERENCES threads("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS elements_thread ON elements ("threadId");
CREATE TABLE IF NOT EXISTS feedbacks (
    "id" TEXT PRIMARY KEY,
    "forId" TEXT NOT NULL,
    "threadId" TEXT NOT NULL,
    "value" INT NOT NULL,
    "comment" TEXT,
    FOREIGN KEY ("threadId") REFERENCES threads("id") ON DELETE CASCADE
);
"""


def ensure_schema(path: Path) -> None:
    """Create the history tables if they are missing (safe to run at every start)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(SCHEMA)
    conn.close()


_OWNER = re.compile(r"^[\w-]{1,64}$")


class LocalStorageClient(BaseStorageClient):
    """Element files under ``root``, one folder per user, named by a hash of the object key (so no
    name from a browser ever becomes a path)."""

    def __init__(self, root: Path, url_prefix: str = ELEMENTS_ROUTE) -> None:
        self.root = root
        self.url_prefix = url_prefix

    @staticmethod
    def owner(object_key: str) -> str:
        """The persisted user id an object key starts with (Chainlit writes ``user/element/name``)."""
        owner = object_key.split("/", 1)[0]
        if not _OWNER.match(owner):
            raise ValueError(f"Unexpected element key {object_key!r}.")
        return owner

    def path(self, object_key: str) -> Path:
        digest = hashlib.sha256(object_key.encode("utf-8")).hexdigest()
        return self.root / self.owner(object_key) / digest

    def read(self, object_key: str) -> tuple[Path, str] | None:
        """The stored file and its media type, or None."""
        try:
            path = self.path(object_key)
        except ValueError:
            return None
        if not path.is_file():
            return None
        mime_file = path.with_suffix(".mime")
        mime = mime_file.read_text(encoding="utf-8") if mime_file.is_file() else "application/octet-stream"
        return path, mime

    async def upload_file(self, object_key: str, data: bytes | str, mime: str = "application/octet-stream",
                          overwrite: bool = True, content_disposition: str | None = None) -> dict[str, Any]:
        path = self.path(object_key)
        payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)

        def write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.exists() and not overwrite:
                return
            path.write_bytes(payload)
            path.with_suffix(".mime").write_text(mime or "application/octet-stream", encoding="utf-8")

        await asyncio.to_thread(write)
        return {"object_key": object_key, "url": await self.get_read_url(object_key)}

    async def delete_file(self, object_key: str) -> bool:
        path = self.path(object_key)
        existed = path.exists()
        path.unlink(missing_ok=True)
        path.with_suffix(".mime").unlink(missing_ok=True)
        return existed

    async def get_read_url(self, object_key: str) -> str:
        return f"{self.url_prefix}/{quote(object_key, safe='')}"

    async def close(self) -> None:
        return None


class HistoryDataLayer(SQLAlchemyDataLayer):
    """Chainlit's SQLAlchemy data layer whose writes can be waited for: Chainlit starts each write
    as a task nobody awaits, so without ``flush()`` a restart right after a reply could drop the
    reply's citations."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._writes: set[asyncio.Task] = set()

    async def _tracked(self, write: Any) -> Any:
        task = asyncio.current_task()
        if task is not None:
            self._writes.add(task)
        try:
            return await write
        finally:
            self._writes.discard(task)

    async def create_step(self, step_dict: Any) -> Any:
        return await self._tracked(super().create_step(step_dict))

    async def update_step(self, step_dict: Any) -> Any:
        return await self._tracked(super().update_step(step_dict))

    async def delete_step(self, step_id: str) -> Any:
        return await self._tracked(super().delete_step(step_id))

    async def create_element(self, element: Any) -> Any:
        return await self._tracked(super().create_element(element))

    async def delete_element(self, element_id: str, thread_id: str | None = None) -> Any:
        return await self._tracked(super().delete_element(element_id, thread_id))

    async def flush(self, timeout: float = 10.0) -> int:
        """Wait (up to ``timeout`` seconds) for the writes under way; returns how many are still
        unfinished."""
        deadline = asyncio.get_running_loop().time() + timeout
        current = asyncio.current_task()
        while pending := {task for task in self._writes if task is not current and not task.done()}:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                return len(pending)
            await asyncio.wait(pending, timeout=left)
        return 0


def history_data_layer(db_path: Path, storage: LocalStorageClient) -> HistoryDataLayer:
    """The history data layer over ``db_path`` (tables created if missing)."""
    ensure_schema(db_path)
    return HistoryDataLayer(conninfo=f"sqlite+aiosqlite:///{db_path}", storage_provider=storage)


def add_elements_route(app: Any, storage: LocalStorageClient) -> None:
    """Serve stored element files to the user who owns them (Chainlit's login cookie), ahead of
    Chainlit's catch-all page route."""
    from chainlit.auth import get_current_user
    from fastapi import Depends, HTTPException
    from fastapi.responses import FileResponse

    async def element_file(object_key: str, user: Any = Depends(get_current_user)) -> FileResponse:  # noqa: B008
        found = storage.read(object_key)
        owner_ok = user is not None and getattr(user, "id", None) == object_key.split("/", 1)[0]
        if found is None or not owner_ok:
            raise HTTPException(status_code=404, detail="No such element.")
        path, mime = found
        return FileResponse(path, media_type=mime)

    app.add_api_route(f"{ELEMENTS_ROUTE}/{{object_key:path}}", element_file, methods=["GET"])
    app.router.routes.insert(0, app.router.routes.pop())


def turns_from_thread(thread: dict[str, Any]) -> list[Turn]:
    """A saved chat's finished turns, oldest first: each answer (its plain text and turn id, kept
    in the message's metadata by ui/render.py) with the user message before it. Other assistant
    messages (upload progress, command output) carry no answer and are passed over."""
    messages = []
    for step in thread.get("steps") or []:
        if step.get("type") == "user_message":
            messages.append(("user", step.get("output") or "", ""))
        elif step.get("type") == "assistant_message":
            metadata = _metadata(step)
            answer = metadata.get("answer")
            messages.append(("assistant", answer if isinstance(answer, str) else "",
                             str(metadata.get("turn_id") or "")))
    return pair_turns(messages)


def _metadata(step: dict[str, Any]) -> dict[str, Any]:
    """A step's metadata as a dict (SQLite gives it back as JSON text)."""
    metadata = step.get("metadata") or {}
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            return {}
    return metadata if isinstance(metadata, dict) else {}
