"""The one embedded SQLite database: connection, pragmas, schema migrations by version.

Documents, chunks, the keyword index (FTS5) and the knowledge graph live in one file, so a
chunk and its keyword-index row are written in the same transaction and can never drift
apart. One connection per database object, guarded by a lock, so the agent's background
memory writer can share it with the request path.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from graph.errors import BackendUnavailableError, CongmingError

_V1 = """
CREATE TABLE documents (
    user_id TEXT NOT NULL,
    id TEXT NOT NULL,
    collection TEXT NOT NULL,
    source TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (user_id, id)
);
CREATE INDEX documents_hash ON documents(user_id, content_hash);
CREATE INDEX documents_source ON documents(user_id, collection, source);

CREATE TABLE chunks (
    pk INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL,
    id TEXT NOT NULL,
    document_id TEXT NOT NULL,
    collection TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    text TEXT NOT NULL,
    start_offset INTEGER NOT NULL DEFAULT 0,
    end_offset INTEGER NOT NULL DEFAULT 0,
    UNIQUE (user_id, id),
    FOREIGN KEY (user_id, document_id) REFERENCES documents(user_id, id) ON DELETE CASCADE
);
CREATE INDEX chunks_document ON chunks(user_id, document_id, ordinal);
CREATE INDEX chunks_collection ON chunks(user_id, collection);

CREATE VIRTUAL TABLE chunk_fts USING fts5(tokens, tokenize = 'unicode61 remove_diacritics 2');
CREATE TRIGGER chunks_fts_delete AFTER DELETE ON chunks BEGIN
    DELETE FROM chunk_fts WHERE rowid = old.pk;
END;

CREATE TABLE entities (
    user_id TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    properties TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (user_id, id)
);
CREATE TABLE entity_names (
    user_id TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    name TEXT NOT NULL,
    norm TEXT NOT NULL,
    PRIMARY KEY (user_id, entity_id, name),
    FOREIGN KEY (user_id, entity_id) REFERENCES entities(user_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX entity_names_norm ON entity_names(user_id, norm);
CREATE TABLE entity_sources (
    user_id TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    source_id TEXT NOT NULL,
    PRIMARY KEY (user_id, entity_id, source_id),
    FOREIGN KEY (user_id, entity_id) REFERENCES entities(user_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX entity_sources_source ON entity_sources(user_id, source_id);

CREATE TABLE relations (
    user_id TEXT NOT NULL,
    id TEXT NOT NULL,
    source_id TEXT NOT NULL,
    target_id TEXT NOT NULL,
    type TEXT NOT NULL,
    weight REAL NOT NULL,
    base_weight REAL NOT NULL,
    properties TEXT NOT NULL DEFAULT '{}',
    valid_from TEXT,
    valid_to TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (user_id, id),
    FOREIGN KEY (user_id, source_id) REFERENCES entities(user_id, id) ON DELETE CASCADE,
    FOREIGN KEY (user_id, target_id) REFERENCES entities(user_id, id) ON DELETE CASCADE
);
CREATE INDEX relations_source ON relations(user_id, source_id);
CREATE INDEX relations_target ON relations(user_id, target_id);
CREATE INDEX relations_triple ON relations(user_id, source_id, target_id, type);
CREATE TABLE relation_sources (
    user_id TEXT NOT NULL,
    relation_id TEXT NOT NULL,
    source_id TEXT NOT NULL,
    weight REAL NOT NULL,
    PRIMARY KEY (user_id, relation_id, source_id),
    FOREIGN KEY (user_id, relation_id) REFERENCES relations(user_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX relation_sources_source ON relation_sources(user_id, source_id);

CREATE TABLE merges (
    pk INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL,
    kept_id TEXT NOT NULL,
    merged_id TEXT NOT NULL,
    merged_name TEXT NOT NULL,
    merged_at TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    details TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX merges_merged ON merges(user_id, merged_id);
CREATE INDEX merges_kept ON merges(user_id, kept_id);

PRAGMA user_version = 1;
"""

# Append one script per schema change, ending with its own PRAGMA user_version = N. Each runs
# in one transaction that re-checks the version, so two processes opening a new file agree.
MIGRATIONS: tuple[str, ...] = (_V1,)
SCHEMA_VERSION = len(MIGRATIONS)


def utc_now() -> datetime:
    return datetime.now(UTC)


def to_db_time(value: datetime | None) -> str | None:
    """UTC ISO-8601 with microseconds: sortable as text. Naive datetimes are taken as UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def from_db_time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _statements(script: str) -> list[str]:
    """Split a schema script into complete statements (trigger bodies stay whole)."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        raise CongmingError("A schema migration script ends with an incomplete statement.")
    return statements


class SQLiteDatabase:
    """One SQLite file (WAL, foreign keys on, busy timeout). Call ``open()`` before use.

    ``synchronous = NORMAL`` in WAL mode: a process crash loses nothing committed; a power
    loss can lose the last transactions but never corrupts the file.
    """

    def __init__(self, path: str | Path, *, busy_timeout_s: float = 10.0) -> None:
        self.path = str(path)
        self.busy_timeout_s = busy_timeout_s
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.RLock()
        self._depth = 0

    @property
    def is_open(self) -> bool:
        return self._conn is not None

    def open(self) -> None:
        with self._lock:
            if self._conn is not None:
                return
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            try:
                conn = sqlite3.connect(self.path, timeout=self.busy_timeout_s,
                                       isolation_level=None, check_same_thread=False)
            except sqlite3.Error as exc:
                raise BackendUnavailableError(
                    f"Cannot open the database {self.path}: {exc}. Check that the directory "
                    "exists and is writable (set CONGMING_DATA_DIR to move it)."
                ) from exc
            conn.row_factory = sqlite3.Row
            self._enter_wal(conn)
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            self._conn = conn
            try:
                self._migrate()
            except BaseException:
                self.close()
                raise

    def _enter_wal(self, conn: sqlite3.Connection) -> None:
        """Switch to WAL. SQLite answers this pragma "locked" without waiting on the busy
        timeout while another connection is creating the same file, so wait here."""
        deadline = time.monotonic() + self.busy_timeout_s
        while True:
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    conn.close()
                    raise
                time.sleep(0.01)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    @property
    def version(self) -> int:
        with self.read() as conn:
            return int(conn.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        for version, script in enumerate(MIGRATIONS, start=1):
            with self.transaction() as conn:
                current = int(conn.execute("PRAGMA user_version").fetchone()[0])
                if current > SCHEMA_VERSION:
                    raise CongmingError(
                        f"The database {self.path} has schema version {current}, newer than this "
                        f"congming ({SCHEMA_VERSION}). Upgrade congming, or point CONGMING_DATA_DIR "
                        "elsewhere.")
                if current < version:
                    for statement in _statements(script):
                        conn.execute(statement)

    def _require(self) -> sqlite3.Connection:
        if self._conn is None:
            raise CongmingError(f"The database {self.path} is not open; call open() first.")
        return self._conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (BEGIN IMMEDIATE); nested calls join the outer one."""
        with self._lock:
            conn = self._require()
            if self._depth:
                self._depth += 1
                try:
                    yield conn
                finally:
                    self._depth -= 1
                return
            conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            finally:
                self._depth = 0

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """The connection, held exclusively for a few reads."""
        with self._lock:
            yield self._require()
