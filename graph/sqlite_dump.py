"""Reading out and writing back everything the embedded SQLite database holds for a user, row by
row with every column that carries meaning (timestamps, per-source weights, merge order), for
``congming export`` / ``congming import`` (see ``graph.migrate``).

Rows are plain dicts in the export's record shape: times as ISO-8601 UTC text, JSON columns as
objects. Reads page through the tables by key, so a large database is never held in memory.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from typing import Any

from graph.keyword import index_chunks
from graph.sqlite_db import SQLiteDatabase, from_db_time, to_db_time
from graph.store import normalise_name

PAGE = 1000

USERS = ("SELECT user_id FROM documents UNION SELECT user_id FROM entities "
         "UNION SELECT user_id FROM merges")
COUNTS = (
    "SELECT (SELECT count(*) FROM documents WHERE user_id = :u) AS document, "
    "(SELECT count(*) FROM chunks WHERE user_id = :u) AS chunk, "
    "(SELECT count(*) FROM entities WHERE user_id = :u) AS entity, "
    "(SELECT count(*) FROM relations WHERE user_id = :u) AS relation, "
    "(SELECT count(*) FROM merges WHERE user_id = :u) AS merge"
)
DOCUMENT_PAGE = ("SELECT * FROM documents WHERE user_id = ? AND id > ? ORDER BY id LIMIT ?")
CHUNK_PAGE = ("SELECT * FROM chunks WHERE user_id = ? AND id > ? ORDER BY id LIMIT ?")
ENTITY_PAGE = ("SELECT * FROM entities WHERE user_id = ? AND id > ? ORDER BY id LIMIT ?")
ENTITY_NAMES = ("SELECT entity_id, name FROM entity_names WHERE user_id = ? "
                "AND entity_id IN (SELECT value FROM json_each(?)) ORDER BY entity_id, name")
ENTITY_SOURCES = ("SELECT entity_id, source_id FROM entity_sources WHERE user_id = ? "
                  "AND entity_id IN (SELECT value FROM json_each(?)) ORDER BY entity_id, source_id")
RELATION_PAGE = ("SELECT * FROM relations WHERE user_id = ? AND id > ? ORDER BY id LIMIT ?")
RELATION_SOURCES = ("SELECT relation_id, source_id, weight FROM relation_sources WHERE user_id = ? "
                    "AND relation_id IN (SELECT value FROM json_each(?)) ORDER BY relation_id, source_id")
MERGES = ("SELECT * FROM merges WHERE user_id = ? ORDER BY pk")

INSERT_DOCUMENT = (
    "INSERT INTO documents (user_id, id, collection, source, content_hash, title, metadata, "
    "created_at, updated_at) VALUES (:user_id, :id, :collection, :source, :content_hash, :title, "
    ":metadata, :created_at, :updated_at)"
)
INSERT_CHUNK = (
    "INSERT INTO chunks (user_id, id, document_id, collection, ordinal, text, start_offset, "
    "end_offset) VALUES (:user_id, :id, :document_id, :collection, :ordinal, :text, :start, :end)"
)
CHUNK_ROWIDS = ("SELECT id, pk FROM chunks WHERE user_id = ? AND id IN (SELECT value FROM json_each(?))")
INSERT_ENTITY = (
    "INSERT INTO entities (user_id, id, name, type, properties, created_at, updated_at) "
    "VALUES (:user_id, :id, :name, :type, :properties, :created_at, :updated_at)"
)
INSERT_NAME = "INSERT INTO entity_names (user_id, entity_id, name, norm) VALUES (?, ?, ?, ?)"
INSERT_ENTITY_SOURCE = "INSERT INTO entity_sources (user_id, entity_id, source_id) VALUES (?, ?, ?)"
INSERT_RELATION = (
    "INSERT INTO relations (user_id, id, source_id, target_id, type, weight, base_weight, properties, "
    "valid_from, valid_to, created_at, updated_at) VALUES (:user_id, :id, :source_id, :target_id, "
    ":type, :weight, :base_weight, :properties, :valid_from, :valid_to, :created_at, :updated_at)"
)
INSERT_RELATION_SOURCE = ("INSERT INTO relation_sources (user_id, relation_id, source_id, weight) "
                          "VALUES (?, ?, ?, ?)")
INSERT_MERGE = (
    "INSERT INTO merges (user_id, kept_id, merged_id, merged_name, merged_at, reason, details) "
    "VALUES (:user_id, :kept_id, :merged_id, :merged_name, :merged_at, :reason, :details)"
)


def iso(value: Any) -> str | None:
    """A stored time as the export writes it: ISO-8601 UTC with microseconds."""
    if value is None:
        return None
    return to_db_time(from_db_time(value) if isinstance(value, str) else value)


def _pages(db: SQLiteDatabase, query: str, user_id: str) -> Iterator[list[sqlite3.Row]]:
    after = ""
    while True:
        with db.read() as conn:
            rows = conn.execute(query, (user_id, after, PAGE)).fetchall()
        if not rows:
            return
        yield rows
        after = rows[-1]["id"]


def _grouped(db: SQLiteDatabase, query: str, user_id: str, ids: list[str]) -> dict[str, list[tuple]]:
    out: dict[str, list[tuple]] = {}
    with db.read() as conn:
        for row in conn.execute(query, (user_id, json.dumps(ids, ensure_ascii=False))):
            out.setdefault(row[0], []).append(tuple(row)[1:])
    return out


class SQLiteContent:
    """Documents and chunks of a ``SQLiteDatabase`` (they always live there)."""

    def __init__(self, db: SQLiteDatabase) -> None:
        self.db = db

    def users(self) -> set[str]:
        with self.db.read() as conn:
            return {row[0] for row in conn.execute(USERS)}

    def counts(self, user_id: str) -> dict[str, int]:
        with self.db.read() as conn:
            return dict(conn.execute(COUNTS, {"u": user_id}).fetchone())

    def documents(self, user_id: str) -> Iterator[dict[str, Any]]:
        for rows in _pages(self.db, DOCUMENT_PAGE, user_id):
            for r in rows:
                yield {"user_id": user_id, "id": r["id"], "collection": r["collection"],
                       "source": r["source"], "content_hash": r["content_hash"], "title": r["title"],
                       "metadata": json.loads(r["metadata"]), "created_at": iso(r["created_at"]),
                       "updated_at": iso(r["updated_at"])}

    def chunks(self, user_id: str) -> Iterator[dict[str, Any]]:
        for rows in _pages(self.db, CHUNK_PAGE, user_id):
            for r in rows:
                yield {"user_id": user_id, "id": r["id"], "document_id": r["document_id"],
                       "collection": r["collection"], "ordinal": r["ordinal"], "text": r["text"],
                       "start": r["start_offset"], "end": r["end_offset"]}

    def load_documents(self, rows: list[dict[str, Any]]) -> None:
        with self.db.transaction() as conn:
            conn.executemany(INSERT_DOCUMENT, [
                {**r, "metadata": json.dumps(r["metadata"], ensure_ascii=False),
                 "created_at": iso(r["created_at"]), "updated_at": iso(r["updated_at"])} for r in rows])

    def load_chunks(self, rows: list[dict[str, Any]]) -> None:
        """Chunks with their keyword-index rows (their vectors are rebuilt by the vector index)."""
        if not rows:
            return
        with self.db.transaction() as conn:
            conn.executemany(INSERT_CHUNK, rows)
            for user_id in {r["user_id"] for r in rows}:
                mine = [r for r in rows if r["user_id"] == user_id]
                rowids = dict(conn.execute(CHUNK_ROWIDS, (user_id, json.dumps(
                    [r["id"] for r in mine], ensure_ascii=False))).fetchall())
                index_chunks(conn, ((rowids[r["id"]], r["text"]) for r in mine))


class SQLiteGraphDump:
    """The embedded graph's rows, read out and written back exactly."""

    def __init__(self, db: SQLiteDatabase) -> None:
        self.db = db

    def users(self) -> set[str]:
        with self.db.read() as conn:
            return {row[0] for row in conn.execute(
                "SELECT user_id FROM entities UNION SELECT user_id FROM merges")}

    def entities(self, user_id: str) -> Iterator[dict[str, Any]]:
        for rows in _pages(self.db, ENTITY_PAGE, user_id):
            ids = [r["id"] for r in rows]
            names = _grouped(self.db, ENTITY_NAMES, user_id, ids)
            sources = _grouped(self.db, ENTITY_SOURCES, user_id, ids)
            for r in rows:
                yield {"user_id": user_id, "id": r["id"], "name": r["name"], "type": r["type"],
                       "properties": json.loads(r["properties"]),
                       "names": [n for (n,) in names.get(r["id"], [])],
                       "sources": [s for (s,) in sources.get(r["id"], [])],
                       "created_at": iso(r["created_at"]), "updated_at": iso(r["updated_at"])}

    def relations(self, user_id: str) -> Iterator[dict[str, Any]]:
        for rows in _pages(self.db, RELATION_PAGE, user_id):
            sources = _grouped(self.db, RELATION_SOURCES, user_id, [r["id"] for r in rows])
            for r in rows:
                yield {"user_id": user_id, "id": r["id"], "source_id": r["source_id"],
                       "target_id": r["target_id"], "type": r["type"], "weight": r["weight"],
                       "base_weight": r["base_weight"], "properties": json.loads(r["properties"]),
                       "valid_from": iso(r["valid_from"]), "valid_to": iso(r["valid_to"]),
                       "created_at": iso(r["created_at"]), "updated_at": iso(r["updated_at"]),
                       "sources": [[s, w] for s, w in sources.get(r["id"], [])]}

    def merges(self, user_id: str) -> Iterator[dict[str, Any]]:
        with self.db.read() as conn:
            rows = conn.execute(MERGES, (user_id,)).fetchall()
        for seq, r in enumerate(rows, start=1):
            yield {"user_id": user_id, "seq": seq, "kept_id": r["kept_id"], "merged_id": r["merged_id"],
                   "merged_name": r["merged_name"], "merged_at": iso(r["merged_at"]),
                   "reason": r["reason"], "details": json.loads(r["details"])}

    def load_entities(self, rows: list[dict[str, Any]]) -> None:
        with self.db.transaction() as conn:
            conn.executemany(INSERT_ENTITY, [
                {**r, "properties": json.dumps(r["properties"], ensure_ascii=False),
                 "created_at": iso(r["created_at"]), "updated_at": iso(r["updated_at"])} for r in rows])
            conn.executemany(INSERT_NAME, [(r["user_id"], r["id"], n, normalise_name(n))
                                           for r in rows for n in r["names"]])
            conn.executemany(INSERT_ENTITY_SOURCE, [(r["user_id"], r["id"], s)
                                                    for r in rows for s in r["sources"]])

    def load_relations(self, rows: list[dict[str, Any]]) -> None:
        with self.db.transaction() as conn:
            conn.executemany(INSERT_RELATION, [
                {**r, "properties": json.dumps(r["properties"], ensure_ascii=False),
                 **{k: iso(r[k]) for k in ("valid_from", "valid_to", "created_at", "updated_at")}}
                for r in rows])
            conn.executemany(INSERT_RELATION_SOURCE, [(r["user_id"], r["id"], s, w)
                                                      for r in rows for s, w in r["sources"]])

    def load_merges(self, rows: list[dict[str, Any]]) -> None:
        with self.db.transaction() as conn:
            conn.executemany(INSERT_MERGE, [
                {**r, "merged_at": iso(r["merged_at"]),
                 "details": json.dumps(r["details"], ensure_ascii=False)}
                for r in sorted(rows, key=lambda m: (m["user_id"], m["seq"]))])
