"""`congming ingest` killed with SIGKILL half-way, then run again: every file once, nothing lost."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from graph.chunking import chunk_text
from graph.embedding import HashEmbedder
from graph.knowledge import KnowledgeBase, user_key
from graph.loaders import load_text
from graph.vector import VectorIndex
from tests.kb_checks import dense_search, entity_names, keyword_search, leftovers

pytest.importorskip("faiss")

FILES = 60
KILL_AFTER = 5  # documents committed
USER = "local"  # the CLI's default user

TOPICS = ("river", "mountain", "budget", "garden", "engine", "harbor", "forest", "lantern")


def note(i: int) -> str:
    topic = TOPICS[i % len(TOPICS)]
    return (f"Note {i}: Alice Smith met Bob Jones in Paris about the kiwi{i:03d} project. "
            f"They discussed the {topic} plan and agreed on step {i}.\n\n"
            f"Bob Jones wrote the kiwi{i:03d} summary the next day.")


def committed_documents(db_path: Path) -> int:
    try:
        conn = sqlite3.connect(db_path, timeout=1)
        try:
            return conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:  # not created or migrated yet
        return 0


def wait_for_commits(proc: subprocess.Popen, db_path: Path, at_least: int) -> int:
    deadline = time.monotonic() + 300
    while proc.poll() is None and time.monotonic() < deadline:
        if db_path.exists() and (found := committed_documents(db_path)) >= at_least:
            return found
        time.sleep(0.01)
    pytest.fail(f"the ingest ended (rc={proc.returncode}) or stalled before {at_least} documents "
                "were committed; make the folder bigger")


def cli_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONGMING_")}
    env.update(CONGMING_DATA_DIR=str(data_dir), CONGMING_EMBEDDER__BACKEND="hash",
               CONGMING_KNOWLEDGE__EXTRACTOR="fast", HF_HUB_OFFLINE="1", COLUMNS="200")
    return env


@pytest.mark.slow
def test_sigkill_mid_ingest_then_rerun_leaves_every_file_exactly_once(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    paths = [docs / f"note{i:03d}.txt" for i in range(FILES)]
    for i, path in enumerate(paths):
        path.write_text(note(i))
    data = tmp_path / "data"
    db_path = data / "knowledge" / "congming.sqlite3"
    command = [sys.executable, "-m", "agent.cli", "ingest", str(docs)]

    proc = subprocess.Popen(command, env=cli_env(data), cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_commits(proc, db_path, KILL_AFTER)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    killed_at = committed_documents(db_path)
    assert KILL_AFTER <= killed_at < FILES, "killed too late to test anything"

    # What the kill left: committed documents whose vectors never reached the index file.
    index = VectorIndex(data / "knowledge" / "vectors" / f"chunks-{user_key(USER)}.faiss", 256)
    index.open()
    with sqlite3.connect(db_path) as conn:
        stored = {row[0] for row in conn.execute("SELECT pk FROM chunks")}
    assert index.check(stored).missing

    rerun = subprocess.run(command, env=cli_env(data), cwd=tmp_path, capture_output=True,
                           text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "Repaired the vector index" in rerun.stderr
    counts = {s: int(n) for s, n in re.findall(r"(added|unchanged|failed)\W+(\d+)", rerun.stdout)}
    assert counts == {"added": FILES - killed_at, "unchanged": killed_at, "failed": 0}

    with KnowledgeBase(data / "knowledge", HashEmbedder()) as kb:
        documents = kb.documents.list_documents(USER)
        assert sorted(d.source for d in documents) == [str(p.resolve()) for p in paths]
        by_source = {d.source: d for d in documents}
        for i, path in enumerate(paths):
            document = by_source[str(path.resolve())]
            chunks = kb.documents.document_chunks(USER, document.id)
            expected = chunk_text(load_text(path).text, chunk_size=200, overlap=30)
            assert [c.text for c in chunks] == [span.text for span in expected]
            assert [c.ordinal for c in chunks] == list(range(len(expected)))
            [found] = keyword_search(kb, USER, f"kiwi{i:03d}", k=1)
            assert found.document_id == document.id
            assert dense_search(kb, USER, chunks[0].text, k=1) == [chunks[0]]
        assert USER not in kb.repairs  # the rerun repaired and saved the index
        assert kb.vectors(USER).check(kb.documents.chunk_rowids(USER)).ok
        assert leftovers(kb, USER) == {}
        assert {"Alice Smith", "Bob Jones", "Paris"} <= entity_names(kb, USER)
