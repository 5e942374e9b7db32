"""The durable memory queue: what is to be remembered survives a crash between reply and write.

A job (user, kind, JSON payload) is committed to its own SQLite file (WAL, ``synchronous =
FULL``: committed means on disk) before the turn ends; a background ``Consolidator`` thread
takes jobs in order, runs the handler for their kind and deletes them when done. A job
that was running when the process died is run again on the next start, so handlers must be
idempotent (stable ids) and may record finished steps (``Job.steps``) to skip them on a
replay. A failing job is retried with backoff up to ``max_attempts`` times, then kept as
``failed`` with its error (``retry_failed`` puts it back); no job is ever dropped silently.

One consolidating process per queue file: ``recover()`` takes every running job for a job
left over by a crash.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from graph.errors import BackendUnavailableError, CongmingError, InputError
from graph.types import stable_id

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS memory_jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    steps TEXT NOT NULL DEFAULT '[]',
    error TEXT NOT NULL DEFAULT '',
    not_before REAL NOT NULL DEFAULT 0,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS memory_jobs_status ON memory_jobs(status, seq);
CREATE INDEX IF NOT EXISTS memory_jobs_user ON memory_jobs(user_id);
"""


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    user_id: str
    kind: str
    payload: dict[str, Any]
    status: str  # pending | running | failed
    attempts: int = 0
    steps: tuple[str, ...] = ()  # steps a handler finished in an earlier attempt
    error: str = ""


def _job(row: sqlite3.Row) -> Job:
    return Job(id=row["id"], user_id=row["user_id"], kind=row["kind"], payload=json.loads(row["payload"]),
               status=row["status"], attempts=row["attempts"], steps=tuple(json.loads(row["steps"])),
               error=row["error"])


class MemoryQueue:
    """Jobs in a SQLite file; every method is thread-safe. Call ``open()`` first."""

    def __init__(self, path: str | Path, *, synchronous: str = "FULL") -> None:
        if synchronous not in ("FULL", "NORMAL"):
            raise InputError(f"synchronous must be FULL or NORMAL, not {synchronous!r}.")
        self.path = Path(path)
        self.synchronous = synchronous
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.RLock()

    def open(self) -> None:
        with self._lock:
            if self._conn is not None:
                return
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, timeout=10.0, isolation_level=None,
                                       check_same_thread=False)
                conn.row_factory = sqlite3.Row
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute(f"PRAGMA synchronous = {self.synchronous}")  # one of two constants
                conn.execute("PRAGMA secure_delete = ON")  # a done job's text is not left behind
                conn.executescript(_SCHEMA)
            except (OSError, sqlite3.Error) as exc:
                raise BackendUnavailableError(
                    f"Cannot open the memory queue {self.path}: {exc}. Check that the directory is "
                    "writable (set CONGMING_DATA_DIR to move it).") from exc
            self._conn = conn

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._require()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._require()

    def _require(self) -> sqlite3.Connection:
        if self._conn is None:
            raise CongmingError(f"The memory queue {self.path} is not open; call open() first.")
        return self._conn

    # ---- writing -------------------------------------------------------------------------
    def enqueue(self, user_id: str, kind: str, payload: dict[str, Any], *, key: str | None = None) -> str:
        """Add a job and return its id; with ``key`` the id is stable and enqueuing the same
        key again while the job waits adds nothing."""
        if not user_id or not kind:
            raise InputError("A memory job needs a user_id and a kind.")
        job_id = stable_id("job", user_id, kind, key) if key else stable_id(
            "job", user_id, kind, repr(time.time_ns()), repr(threading.get_ident()))
        with self._tx() as conn:
            conn.execute("INSERT OR IGNORE INTO memory_jobs (id, user_id, kind, payload, status, "
                         "created_at) VALUES (?, ?, ?, ?, 'pending', ?)",
                         (job_id, user_id, kind, json.dumps(payload, ensure_ascii=False), time.time()))
        return job_id

    def claim(self) -> Job | None:
        """The oldest pending job that is due, now marked running; None when there is none."""
        with self._tx() as conn:
            row = conn.execute("SELECT * FROM memory_jobs WHERE status = 'pending' AND not_before <= ? "
                               "ORDER BY seq LIMIT 1", (time.time(),)).fetchone()
            if row is None:
                return None
            conn.execute("UPDATE memory_jobs SET status = 'running', attempts = attempts + 1 "
                         "WHERE seq = ?", (row["seq"],))
        job = _job(row)
        return replace(job, status="running", attempts=job.attempts + 1)

    def step_done(self, job_id: str, step: str) -> None:
        with self._tx() as conn:
            row = conn.execute("SELECT steps FROM memory_jobs WHERE id = ?", (job_id,)).fetchone()
            if row is not None:
                steps = [*json.loads(row["steps"]), step]
                conn.execute("UPDATE memory_jobs SET steps = ? WHERE id = ?", (json.dumps(steps), job_id))

    def complete(self, job_id: str) -> None:
        with self._tx() as conn:
            conn.execute("DELETE FROM memory_jobs WHERE id = ?", (job_id,))

    def fail(self, job_id: str, error: str, *, retry_in_s: float | None) -> None:
        """Record a failed attempt: pending again after ``retry_in_s``, or failed for good (None)."""
        with self._tx() as conn:
            if retry_in_s is None:
                conn.execute("UPDATE memory_jobs SET status = 'failed', error = ? WHERE id = ?",
                             (error, job_id))
            else:
                conn.execute("UPDATE memory_jobs SET status = 'pending', error = ?, not_before = ? "
                             "WHERE id = ?", (error, time.time() + retry_in_s, job_id))

    def recover(self) -> int:
        """Jobs left running by a process that died go back to pending; how many."""
        with self._tx() as conn:
            return conn.execute("UPDATE memory_jobs SET status = 'pending', not_before = 0 "
                                "WHERE status = 'running'").rowcount

    def retry_failed(self, user_id: str | None = None) -> int:
        with self._tx() as conn:
            return conn.execute("UPDATE memory_jobs SET status = 'pending', attempts = 0, not_before = 0 "
                                "WHERE status = 'failed' AND (? IS NULL OR user_id = ?)",
                                (user_id, user_id)).rowcount

    def cancel(self, user_id: str) -> int:
        """Delete the user's jobs that are not running (forgetting everything includes what
        was still waiting to be remembered); how many."""
        with self._tx() as conn:
            return conn.execute("DELETE FROM memory_jobs WHERE user_id = ? AND status != 'running'",
                                (user_id,)).rowcount

    def checkpoint(self) -> None:
        """Fold the WAL into the file (after deletes: no old copy of a job stays in the WAL)."""
        with self._read() as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # ---- reading -------------------------------------------------------------------------
    def jobs(self, *, user_id: str | None = None, status: str | None = None) -> list[Job]:
        with self._read() as conn:
            rows = conn.execute("SELECT * FROM memory_jobs WHERE (? IS NULL OR user_id = ?) AND "
                                "(? IS NULL OR status = ?) ORDER BY seq",
                                (user_id, user_id, status, status)).fetchall()
        return [_job(row) for row in rows]

    def counts(self) -> dict[str, int]:
        with self._read() as conn:
            rows = conn.execute("SELECT status, count(*) FROM memory_jobs GROUP BY status").fetchall()
        return {"pending": 0, "running": 0, "failed": 0, **{row[0]: row[1] for row in rows}}

    def next_due_in(self) -> float | None:
        """Seconds until the next pending job is due (0 when one is due now); None when none waits."""
        with self._read() as conn:
            row = conn.execute("SELECT min(not_before) FROM memory_jobs WHERE status = 'pending'").fetchone()
        return None if row[0] is None else max(0.0, row[0] - time.time())


Handler = Callable[[Job, Callable[[str], None]], None]  # (job, mark step done)
