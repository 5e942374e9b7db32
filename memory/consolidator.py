"""The background worker that drains the memory queue, off the reply's critical path.

``start()`` first puts back the jobs a crash left running, then a daemon thread takes jobs in
order and runs their kind's handler. While a reply is being made (``foreground()``) it does
not start a new job - the reply's latency does not depend on memory writes - but a job waits
at most ``max_defer_s`` so a busy agent still remembers. ``drain()`` waits until every job is
done (it runs them itself when the thread is not started); ``close()`` lets the job in hand
finish and stops.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from memory.queue import Handler, Job, MemoryQueue

log = logging.getLogger(__name__)


class Consolidator:
    def __init__(self, queue: MemoryQueue, handlers: Mapping[str, Handler], *, max_attempts: int = 5,
                 backoff_s: float = 2.0, max_backoff_s: float = 300.0, poll_s: float = 5.0,
                 max_defer_s: float = 30.0, on_idle: Callable[[], None] | None = None) -> None:
        self.queue = queue
        self.handlers = dict(handlers)
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.poll_s = poll_s
        self.max_defer_s = max_defer_s
        self.on_idle = on_idle
        self.lock = threading.RLock()  # held while a job runs: hold it to change memory between jobs
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._progress = threading.Condition()
        self._foreground = 0
        self._ran_since_idle = False
        self._thread: threading.Thread | None = None

    # ---- control -------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> int:
        """Replay what a crash left running and start the worker; how many jobs were replayed."""
        if self.running:
            return 0
        replayed = self.queue.recover()
        if replayed:
            log.info("Replaying %d memory job(s) interrupted by a crash.", replayed)
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="congming-memory", daemon=True)
        self._thread.start()
        return replayed

    def notify(self) -> None:
        """A job was enqueued: wake the worker."""
        self._wake.set()

    @contextmanager
    def foreground(self) -> Iterator[None]:
        """A reply is being made: no new job starts until it is done (or ``max_defer_s``)."""
        with self._progress:
            self._foreground += 1
        try:
            yield
        finally:
            with self._progress:
                self._foreground -= 1
                self._progress.notify_all()

    def close(self, timeout: float = 30.0) -> bool:
        """Stop after the job in hand; False if it did not finish within ``timeout`` (it is
        then replayed on the next start)."""
        self._stop.set()
        self._wake.set()
        with self._progress:
            self._progress.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("A memory job is still running at shutdown; it is replayed on the next start.")
                return False
            self._thread = None
        self._idle()
        return True

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until no job is pending or running (failed ones do not count); False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if not self.running:
                while self.run_once():
                    if deadline is not None and time.monotonic() > deadline:
                        return False
                self._idle()
            counts = self.queue.counts()
            if counts["pending"] + counts["running"] == 0:
                return True
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return False
            self._wake.set()
            with self._progress:
                self._progress.wait(0.05 if left is None else min(0.05, left))

    # ---- work ----------------------------------------------------------------------------
    def run_once(self) -> bool:
        """Run the next due job in this thread; False when none is due."""
        with self.lock:
            job = self.queue.claim()
            if job is None:
                return False
            self._run(job)
        self._ran_since_idle = True
        with self._progress:
            self._progress.notify_all()
        return True

    def _run(self, job: Job) -> None:
        handler = self.handlers.get(job.kind)
        if handler is None:
            self.queue.fail(job.id, f"no handler for memory job kind {job.kind!r}", retry_in_s=None)
            return
        try:
            handler(job, lambda step: self.queue.step_done(job.id, step))
        except Exception as exc:  # recorded on the job; the worker goes on
            error = f"{type(exc).__name__}: {exc}"
            if job.attempts >= self.max_attempts:
                log.error("Memory job %s (%s) failed %d times, kept as failed: %s",
                          job.id, job.kind, job.attempts, error)
                self.queue.fail(job.id, error, retry_in_s=None)
            else:
                delay = min(self.backoff_s * 2 ** (job.attempts - 1), self.max_backoff_s)
                log.warning("Memory job %s (%s) failed, retry in %.0f s: %s", job.id, job.kind, delay, error)
                self.queue.fail(job.id, error, retry_in_s=delay)
            return
        self.queue.complete(job.id)

    def _idle(self) -> None:
        if self._ran_since_idle and self.on_idle is not None:
            try:
                self.on_idle()
            except Exception:
                log.exception("Saving after memory jobs failed; a restart repairs it.")
        self._ran_since_idle = False

    def _wait_for_foreground(self) -> None:
        deadline = time.monotonic() + self.max_defer_s
        with self._progress:
            while self._foreground and not self._stop.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self._progress.wait(left)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._wait_for_foreground()
                if self._stop.is_set() or self.run_once():
                    continue
                self._idle()
                due = self.queue.next_due_in()
            except Exception:  # the queue's database failing must not end the worker for good
                log.exception("The memory worker hit an error; retrying in %.0f s.", self.poll_s)
                due = self.poll_s
            self._wake.wait(self.poll_s if due is None else min(max(due, 0.01), self.poll_s))
            self._wake.clear()
