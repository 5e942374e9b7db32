"""The durable memory queue: a crash between reply and write loses nothing, replays duplicate
nothing, failures are retried then kept, and scheduling never waits for the write."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from graph.embedding import HashEmbedder
from graph.knowledge import KnowledgeBase
from memory.consolidator import Consolidator
from memory.long_term import LongTermMemory
from memory.queue import MemoryQueue

ROOT = Path(__file__).resolve().parents[1]
AT = datetime(2030, 1, 2, 3, 4, tzinfo=UTC)

# A child process that queues one turn and then dies: before the worker ran (``before``), in
# the middle of the write (``during``: the handler never returns) or after the turn was stored
# but before the job was marked done (``after``).
CHILD = textwrap.dedent("""
    import os, sys, time
    from datetime import datetime, UTC
    from graph.embedding import HashEmbedder
    from graph.knowledge import KnowledgeBase
    from memory.episodic import EpisodicMemory
    from memory.long_term import LongTermMemory

    data, moment = sys.argv[1], sys.argv[2]

    class Dying(EpisodicMemory):
        def store(self, episode):
            if moment == "after":
                super().store(episode)
                self.kb.save()
            open(os.path.join(data, "in-handler"), "w").close()
            time.sleep(600)  # killed here

    kb = KnowledgeBase(data, HashEmbedder())
    memory = LongTermMemory(kb, episodic=Dying(kb), owns_kb=True)
    memory.open(worker=moment != "before")
    memory.schedule_turn("ann", "s1", "My bike is a blue Gazelle.", "Nice bike!", turn_id="t1",
                         at=datetime(2030, 1, 2, tzinfo=UTC))
    open(os.path.join(data, "scheduled"), "w").close()
    time.sleep(600)  # killed here
""")


def _run_child_and_kill(data: Path, moment: str) -> None:
    marker = data / ("scheduled" if moment == "before" else "in-handler")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(data), moment], env=env)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert child.poll() is None, "the child process ended before the crash point"
            assert time.monotonic() < deadline, "the child never reached the crash point"
            time.sleep(0.05)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()


@pytest.mark.parametrize("moment", ["before", "during", "after"])
def test_a_turn_queued_before_a_crash_is_remembered_once_after_restart(tmp_path, moment):
    data = tmp_path / "memory"
    data.mkdir()
    _run_child_and_kill(data, moment)

    with LongTermMemory(KnowledgeBase(data, HashEmbedder()), owns_kb=True) as memory:
        assert memory.drain(timeout=60)
        recalled = memory.recall("ann", "which bike do I have", k=3)
        # recalled as the user said it: the assistant's reply is never evidence
        assert [p.text for p in recalled] == ["My bike is a blue Gazelle."]
        assert memory.kb.documents.counts("ann") == {"documents": 1, "chunks": 1}
        assert len(memory.kb.vectors("ann")) == 1
        assert memory.pending() == {"pending": 0, "running": 0, "failed": 0}


@pytest.fixture
def queue(tmp_path):
    q = MemoryQueue(tmp_path / "queue.sqlite3")
    q.open()
    yield q
    q.close()


def test_jobs_survive_closing_and_run_in_order(tmp_path):
    path = tmp_path / "queue.sqlite3"
    first = MemoryQueue(path)
    first.open()
    ids = [first.enqueue("ann", "note", {"n": n}) for n in range(3)]
    first.close()

    done: list[int] = []
    second = MemoryQueue(path)
    second.open()
    worker = Consolidator(second, {"note": lambda job, step: done.append(job.payload["n"])})
    assert worker.drain(timeout=30)
    assert done == [0, 1, 2] and len(set(ids)) == 3
    second.close()


def test_the_same_key_is_queued_once(queue):
    a = queue.enqueue("ann", "turn", {"x": 1}, key="t1")
    b = queue.enqueue("ann", "turn", {"x": 2}, key="t1")
    assert a == b and [j.payload for j in queue.jobs()] == [{"x": 1}]
    assert queue.enqueue("bob", "turn", {"x": 1}, key="t1") != a  # keys are per user


def test_a_failing_job_is_retried_then_succeeds(queue):
    calls: list[int] = []

    def flaky(job, step):
        calls.append(job.attempts)
        if job.attempts < 3:
            raise RuntimeError("store busy")

    worker = Consolidator(queue, {"note": flaky}, backoff_s=0.01)
    queue.enqueue("ann", "note", {})
    assert worker.drain(timeout=30)
    assert calls == [1, 2, 3] and queue.jobs() == []


def test_a_job_failing_every_time_is_kept_as_failed_with_its_error(queue):
    def broken(job, step):
        raise ValueError("bad payload")

    worker = Consolidator(queue, {"note": broken}, max_attempts=3, backoff_s=0.01)
    job_id = queue.enqueue("ann", "note", {"keep": "me"})
    assert worker.drain(timeout=30)  # failed jobs do not hold up draining

    [job] = queue.jobs()
    assert (job.id, job.status, job.attempts, job.payload) == (job_id, "failed", 3, {"keep": "me"})
    assert "ValueError: bad payload" in job.error
    assert queue.retry_failed("ann") == 1
    assert [j.status for j in queue.jobs()] == ["pending"]


def test_an_unknown_kind_fails_without_retries(queue):
    queue.enqueue("ann", "mystery", {})
    assert Consolidator(queue, {}).drain(timeout=30)
    assert [(j.status, j.attempts) for j in queue.jobs()] == [("failed", 1)]
    assert "no handler" in queue.jobs()[0].error


def test_finished_steps_are_skipped_when_a_job_is_replayed(queue):
    seen: list[tuple[str, ...]] = []

    def two_steps(job, step_done):
        seen.append(job.steps)
        if "one" not in job.steps:
            step_done("one")
        raise RuntimeError("crash after step one")

    worker = Consolidator(queue, {"note": two_steps}, max_attempts=2, backoff_s=0.01)
    queue.enqueue("ann", "note", {})
    worker.drain(timeout=30)
    assert seen == [(), ("one",)]


def test_scheduling_returns_while_the_worker_is_busy(tmp_path):
    release = threading.Event()
    started = threading.Event()
    kb = KnowledgeBase(tmp_path / "memory", HashEmbedder())

    with LongTermMemory(kb, owns_kb=True) as memory:
        store = memory.episodic.store

        def slow_store(episode):
            started.set()
            assert release.wait(60)
            return store(episode)

        memory.episodic.store = slow_store
        memory.schedule_turn("ann", "s1", "first message", "first answer", turn_id="t1", at=AT)
        assert started.wait(60)  # the worker is now stuck inside the first write
        memory.schedule_turn("ann", "s1", "second message", "second answer", turn_id="t2", at=AT)
        assert memory.pending("ann") == {"pending": 1, "running": 1, "failed": 0}
        release.set()
        assert memory.drain(timeout=60)
        assert [e.turn_id for e in memory.turns("ann")] == ["t1", "t2"]


def test_no_job_starts_while_a_reply_is_in_the_foreground(tmp_path):
    with LongTermMemory(KnowledgeBase(tmp_path / "memory", HashEmbedder()), owns_kb=True) as memory:
        with memory.foreground():
            memory.schedule_turn("ann", "s1", "hello there", "hi", turn_id="t1", at=AT)
            time.sleep(0.3)
            assert memory.pending("ann")["pending"] == 1
        assert memory.drain(timeout=60)
        assert len(memory.turns("ann")) == 1


def test_drain_runs_the_jobs_itself_when_no_worker_was_started(tmp_path):
    memory = LongTermMemory(KnowledgeBase(tmp_path / "memory", HashEmbedder()), owns_kb=True)
    memory.open(worker=False)
    try:
        memory.schedule_turn("ann", "s1", "I collect stamps.", "Cool.", turn_id="t1", at=AT)
        assert memory.pending("ann")["pending"] == 1
        assert memory.drain(timeout=60)
        assert [p.id for p in memory.recall("ann", "stamps", k=1)] == [memory.turns("ann")[0].id]
    finally:
        memory.close()
