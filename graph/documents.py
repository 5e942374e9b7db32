"""Documents and their chunks in the embedded SQLite database.

A document, its chunks and their keyword-index rows are written in one transaction;
deleting a document removes its chunks, their keyword rows and the graph provenance that
pointed at them (entities and relations left without provenance go too), also in one
transaction. Vectors live in FAISS, outside SQLite: every call that adds or removes chunks
returns the chunk row ids so the caller can update the vector index, and the vector
index's consistency check (``VectorIndex.check``) repairs what a crash left behind.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from graph.chunking import with_title
from graph.errors import InputError
from graph.keyword import index_chunks
from graph.sqlite_db import SQLiteDatabase, to_db_time, utc_now
from graph.sqlite_graph_ops import delete_sources, ids_json
from graph.store import DeleteReport
from graph.types import Chunk, Document


@dataclass(frozen=True, slots=True)
class RemovedDocument:
    document_id: str
    chunk_ids: tuple[str, ...]
    chunk_rowids: tuple[int, ...]  # remove these from the vector index
    graph: DeleteReport = field(default_factory=DeleteReport)


@dataclass(frozen=True, slots=True)
class AddedDocument:
    document_id: str
    chunk_rowids: dict[str, int]  # chunk id -> row id (the chunk's id in the vector index)
    replaced: RemovedDocument | None = None


def _document(row: sqlite3.Row) -> Document:
    return Document(id=row["id"], user_id=row["user_id"], source=row["source"],
                    content_hash=row["content_hash"], title=row["title"],
                    collection=row["collection"], metadata=json.loads(row["metadata"]))


def _chunk(row: sqlite3.Row) -> Chunk:
    return Chunk(id=row["id"], document_id=row["document_id"], user_id=row["user_id"],
                 ordinal=row["ordinal"], text=row["text"], collection=row["collection"],
                 start=row["start_offset"], end=row["end_offset"])


def _check_chunks(document: Document, chunks: Sequence[Chunk]) -> None:
    for chunk in chunks:
        if (chunk.user_id, chunk.document_id, chunk.collection) != (
                document.user_id, document.id, document.collection):
            raise InputError(
                f"Chunk {chunk.id!r} must have the user, document id and collection of document "
                f"{document.id!r} ({document.user_id!r}, {document.collection!r}).")
    ids = [chunk.id for chunk in chunks]
    if len(set(ids)) != len(ids):
        raise InputError(f"Document {document.id!r} has duplicate chunk ids; make them unique.")


class DocumentStore:
    """Document and chunk CRUD over a ``SQLiteDatabase``."""

    def __init__(self, db: SQLiteDatabase) -> None:
        self.db = db

    def add_document(self, document: Document, chunks: Sequence[Chunk],
                     *, replace: bool = False) -> AddedDocument:
        """Store a document with its chunks; ``replace=True`` first removes one with the same id."""
        _check_chunks(document, chunks)
        now = to_db_time(utc_now())
        with self.db.transaction() as conn:
            replaced = None
            if self._exists(conn, document.user_id, document.id):
                if not replace:
                    raise InputError(f"Document {document.id!r} already exists; pass replace=True "
                                     "to replace it, or delete it first.")
                replaced = self._delete(conn, document.user_id, document.id)
            conn.execute(
                "INSERT INTO documents (user_id, id, collection, source, content_hash, title, "
                "metadata, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (document.user_id, document.id, document.collection, document.source,
                 document.content_hash, document.title,
                 json.dumps(document.metadata, ensure_ascii=False), now, now))
            try:
                conn.executemany(
                    "INSERT INTO chunks (user_id, id, document_id, collection, ordinal, text, "
                    "start_offset, end_offset) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [(c.user_id, c.id, c.document_id, c.collection, c.ordinal, c.text, c.start, c.end)
                     for c in chunks])
            except sqlite3.IntegrityError as exc:
                raise InputError(f"A chunk id of document {document.id!r} is already used by "
                                 f"another document of this user: {exc}") from exc
            rowids = dict(conn.execute("SELECT id, pk FROM chunks WHERE user_id = ? "
                                       "AND document_id = ?", (document.user_id, document.id)))
            index_chunks(conn, ((rowids[c.id], c.text) for c in chunks))
        return AddedDocument(document_id=document.id, chunk_rowids=rowids, replaced=replaced)

    @staticmethod
    def _exists(conn: sqlite3.Connection, user_id: str, document_id: str) -> bool:
        return conn.execute("SELECT 1 FROM documents WHERE user_id = ? AND id = ?",
                            (user_id, document_id)).fetchone() is not None

    @staticmethod
    def _delete(conn: sqlite3.Connection, user_id: str, document_id: str) -> RemovedDocument:
        rows = conn.execute("SELECT id, pk FROM chunks WHERE user_id = ? AND document_id = ? "
                            "ORDER BY ordinal", (user_id, document_id)).fetchall()
        chunk_ids = tuple(row[0] for row in rows)
        report = delete_sources(conn, user_id, chunk_ids)
        conn.execute("DELETE FROM documents WHERE user_id = ? AND id = ?", (user_id, document_id))
        return RemovedDocument(document_id=document_id, chunk_ids=chunk_ids,
                               chunk_rowids=tuple(row[1] for row in rows), graph=report)

    def delete_document(self, user_id: str, document_id: str) -> RemovedDocument | None:
        """Remove a document, its chunks, their keyword rows and graph provenance; None if absent."""
        with self.db.transaction() as conn:
            if not self._exists(conn, user_id, document_id):
                return None
            return self._delete(conn, user_id, document_id)

    def get_document(self, user_id: str, document_id: str) -> Document | None:
        with self.db.read() as conn:
            row = conn.execute("SELECT * FROM documents WHERE user_id = ? AND id = ?",
                               (user_id, document_id)).fetchone()
        return None if row is None else _document(row)

    def get_document_by_hash(self, user_id: str, content_hash: str,
                             *, collection: str | None = None) -> Document | None:
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT * FROM documents WHERE user_id = ? AND content_hash = ? "
                "AND (? IS NULL OR collection = ?) ORDER BY created_at LIMIT 1",
                (user_id, content_hash, collection, collection)).fetchone()
        return None if row is None else _document(row)

    def get_document_by_source(self, user_id: str, source: str,
                               *, collection: str = "default") -> Document | None:
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT * FROM documents WHERE user_id = ? AND collection = ? AND source = ? "
                "ORDER BY created_at LIMIT 1", (user_id, collection, source)).fetchone()
        return None if row is None else _document(row)

    def list_documents(self, user_id: str, *, collection: str | None = None, source: str | None = None,
                       limit: int | None = None, offset: int = 0) -> list[Document]:
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT * FROM documents WHERE user_id = ? AND (? IS NULL OR collection = ?) "
                "AND (? IS NULL OR source = ?) ORDER BY created_at, id LIMIT ? OFFSET ?",
                (user_id, collection, collection, source, source,
                 -1 if limit is None else limit, offset))
            return [_document(row) for row in rows]

    def chunk_counts(self, user_id: str, document_ids: Iterable[str]) -> dict[str, int]:
        """Document id -> number of chunks, for this user's documents among ``document_ids``."""
        with self.db.read() as conn:
            rows = conn.execute("SELECT document_id, count(*) FROM chunks WHERE user_id = ? "
                                "AND document_id IN (SELECT value FROM json_each(?)) "
                                "GROUP BY document_id", (user_id, ids_json(document_ids)))
            return {row[0]: row[1] for row in rows}

    def document_chunks(self, user_id: str, document_id: str) -> list[Chunk]:
        with self.db.read() as conn:
            rows = conn.execute("SELECT * FROM chunks WHERE user_id = ? AND document_id = ? "
                                "ORDER BY ordinal", (user_id, document_id))
            return [_chunk(row) for row in rows]

    def get_chunks(self, user_id: str, chunk_ids: Iterable[str]) -> list[Chunk]:
        """Chunks by id, in the order asked (unknown ids and other users' chunks are skipped)."""
        ids = list(dict.fromkeys(chunk_ids))
        with self.db.read() as conn:
            rows = conn.execute("SELECT * FROM chunks WHERE user_id = ? "
                                "AND id IN (SELECT value FROM json_each(?))", (user_id, ids_json(ids)))
            found = {row["id"]: _chunk(row) for row in rows}
        return [found[i] for i in ids if i in found]

    def chunks_by_rowid(self, user_id: str, rowids: Iterable[int]) -> dict[int, Chunk]:
        """Row id -> chunk, for this user's chunks only (vector-index hits -> chunks)."""
        with self.db.read() as conn:  # row ids first: else SQLite may scan all the user's chunks
            rows = conn.execute("SELECT c.* FROM json_each(?) AS wanted CROSS JOIN chunks c "
                                "ON c.pk = wanted.value WHERE c.user_id = ?",
                                (json.dumps([int(r) for r in rowids]), user_id))
            return {row["pk"]: _chunk(row) for row in rows}

    def chunk_rowids(self, user_id: str | None = None, *, collection: str | None = None) -> set[int]:
        """Row ids of stored chunks: one user's (and collection's), or everyone's when None.

        Everyone's is what the vector index must hold (its consistency check); one user's is
        the allowed-id filter for a user-scoped vector search.
        """
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT pk FROM chunks WHERE (? IS NULL OR user_id = ?) "
                "AND (? IS NULL OR collection = ?)", (user_id, user_id, collection, collection))
            return {row[0] for row in rows}

    def texts_by_rowid(self, rowids: Iterable[int]) -> dict[int, str]:
        """Row id -> what is embedded for the chunk (its document's title, then its text), any
        user: for re-embedding chunks during a vector-index repair or after an import."""
        with self.db.read() as conn:
            rows = conn.execute("SELECT c.pk, d.title, c.text FROM chunks c JOIN documents d "
                                "ON d.user_id = c.user_id AND d.id = c.document_id WHERE c.pk IN "
                                "(SELECT value FROM json_each(?))",
                                (json.dumps([int(r) for r in rowids]),))
            return {pk: with_title(title, text) for pk, title, text in rows}

    def counts(self, user_id: str) -> dict[str, int]:
        with self.db.read() as conn:
            documents = conn.execute("SELECT count(*) FROM documents WHERE user_id = ?",
                                     (user_id,)).fetchone()[0]
            chunks = conn.execute("SELECT count(*) FROM chunks WHERE user_id = ?",
                                  (user_id,)).fetchone()[0]
        return {"documents": documents, "chunks": chunks}
