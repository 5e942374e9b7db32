"""Graph backend settings and registry, and retrieval that degrades when the graph store is down."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.components import GRAPH_BACKENDS, create_graph_store, open_knowledge
from agent.settings import Settings
from graph.embedding import HashEmbedder
from graph.errors import BackendUnavailableError, ConfigError
from graph.ingest import Ingestor
from graph.knowledge import KnowledgeBase
from graph.retrieve import HybridRetriever
from graph.sqlite_store import SQLiteGraphStore

DOWN = "bolt://127.0.0.1:1"  # nothing listens on port 1: refused at once
USER = "alice"
TEXTS = {
    "babbage": "Charles Babbage designed the Analytical Engine in London.",
    "lovelace": "Ada Lovelace wrote the first program for the Analytical Engine.",
    "turing": "Alan Turing described a universal machine in 1936.",
}


def test_graph_settings_come_from_the_environment(clean_env):
    clean_env.setenv("CONGMING_GRAPH__BACKEND", "neo4j")
    clean_env.setenv("CONGMING_GRAPH__URI", "neo4j://db:7687")
    clean_env.setenv("CONGMING_GRAPH__PASSWORD", "s3cret-pass")
    clean_env.setenv("CONGMING_GRAPH__DEGRADE", "false")
    graph = Settings.load().graph
    assert (graph.backend, graph.uri, graph.user, graph.degrade, graph.native_indexes) == (
        "neo4j", "neo4j://db:7687", "neo4j", False, False)
    assert graph.password.get_secret_value() == "s3cret-pass" and "s3cret" not in repr(graph)


def test_the_registry_builds_each_backend(settings):
    assert set(GRAPH_BACKENDS) == {"sqlite", "neo4j"}
    assert create_graph_store(settings.graph) is None  # the knowledge base's own SQLite graph
    settings.graph.backend, settings.graph.uri = "neo4j", DOWN
    pytest.importorskip("neo4j")
    from graph.neo4j_store import Neo4jGraphStore

    store = create_graph_store(settings.graph)
    assert isinstance(store, Neo4jGraphStore) and store.uri == DOWN


@pytest.mark.parametrize(("changes", "message"), [
    ({"backend": "dgraph"}, "CONGMING_GRAPH__BACKEND"),
    ({"backend": "neo4j"}, "CONGMING_GRAPH__URI"),
    ({"native_indexes": True}, "needs graph.backend 'neo4j'"),
])
def test_bad_graph_settings_say_what_to_fix(settings, changes, message):
    settings.embedder.backend = "hash"
    for key, value in changes.items():
        setattr(settings.graph, key, value)
    with pytest.raises(ConfigError, match=message):
        open_knowledge(settings)


def test_a_driver_passed_with_the_sqlite_backend_is_refused(settings):
    with pytest.raises(ConfigError, match="CONGMING_GRAPH__BACKEND=neo4j"):
        create_graph_store(settings.graph, driver=object())


def test_the_callers_driver_is_used_and_left_open(settings):
    neo4j = pytest.importorskip("neo4j")
    settings.embedder.backend = "hash"
    settings.graph.backend = "neo4j"  # no uri: the driver is enough
    driver = neo4j.GraphDatabase.driver(DOWN, auth=("neo4j", "x"))
    try:
        kb, _ = open_knowledge(settings, driver=driver)  # down, but degrade is on by default
        assert kb.graph.driver is driver and "driver passed in" in kb.graph_error
        kb.close()
        with pytest.raises(neo4j.exceptions.ServiceUnavailable):
            driver.verify_connectivity()  # still open: a closed driver says so instead
    finally:
        driver.close()


def test_neo4j_down_at_open_fails_clearly_unless_degrading(settings):
    pytest.importorskip("neo4j")
    settings.embedder.backend = "hash"
    settings.graph.backend, settings.graph.uri, settings.graph.degrade = "neo4j", DOWN, False
    with pytest.raises(BackendUnavailableError, match="server is running"):
        open_knowledge(settings)
    settings.graph.degrade = True
    kb, _ = open_knowledge(settings)
    with kb:
        assert DOWN in kb.graph_error and kb.degrade_graph


class DownGraph:
    """The seam around the graph store: a real SQLite store whose reads fail like a Neo4j that
    went down, counting the calls that reached it."""

    def __init__(self, real: SQLiteGraphStore) -> None:
        self.real, self.calls = real, 0

    def _down(self, *args, **kwargs):
        self.calls += 1
        raise BackendUnavailableError("Cannot reach Neo4j at neo4j://graph:7687: ServiceUnavailable")

    find_mentions = mentions = _down

    def __getattr__(self, name):
        return getattr(self.real, name)


@pytest.fixture
def kb(tmp_path: Path):
    with KnowledgeBase(tmp_path / "data", HashEmbedder(256)) as base:
        ingestor = Ingestor(base, None)
        for name, text in TEXTS.items():
            ingestor.ingest_text(text, user_id=USER, source=f"{name}.txt")
        yield base


def test_with_the_graph_down_retrieval_answers_from_dense_and_bm25(kb):
    healthy = HybridRetriever(kb).retrieve("Analytical Engine", user_id=USER, k=2)
    kb.graph, kb.degrade_graph = DownGraph(kb.graph), True
    result = HybridRetriever(kb).retrieve("Analytical Engine", user_id=USER, k=2)
    assert [i.chunk.id for i in result.items] == [i.chunk.id for i in healthy.items]
    assert "graph" not in result.timings_ms and all("graph" not in i.signals for i in result.items)
    assert set(result.skipped) == {"graph"} and "Cannot reach Neo4j" in result.skipped["graph"]
    assert healthy.skipped == {}


def test_after_a_failure_the_graph_is_left_alone_for_a_while(kb):
    down = kb.graph = DownGraph(kb.graph)
    kb.degrade_graph = True
    retriever = HybridRetriever(kb)
    retriever.retrieve("Ada Lovelace", user_id=USER)
    second = retriever.retrieve("Ada Lovelace", user_id=USER)
    assert down.calls == 1 and "graph store unavailable" in second.skipped["graph"]
    kb.graph_retry_s = 0.0  # the window is over: the next turn tries again
    kb.graph_unavailable(BackendUnavailableError("still down"))
    retriever.retrieve("Ada Lovelace", user_id=USER)
    assert down.calls == 2


def test_ingesting_while_the_graph_is_down_fails_without_storing_half_a_document(kb):
    kb.graph = DownGraph(kb.graph)
    with pytest.raises(BackendUnavailableError):
        Ingestor(kb, None).ingest_text("Grace Hopper wrote a compiler.", user_id=USER, source="hopper.txt")
    assert [d.source for d in kb.documents.list_documents(USER)] == sorted(f"{n}.txt" for n in TEXTS)


def test_without_degrade_a_down_graph_is_a_clear_error(kb):
    kb.graph = DownGraph(kb.graph)
    with pytest.raises(BackendUnavailableError, match="CONGMING_GRAPH__DEGRADE=true") as caught:
        HybridRetriever(kb).retrieve("Alan Turing", user_id=USER)
    assert "Cannot reach Neo4j" in str(caught.value)


def test_a_real_neo4j_store_that_is_down_degrades_end_to_end(tmp_path):
    pytest.importorskip("neo4j")
    from graph.neo4j_store import Neo4jGraphStore

    store = Neo4jGraphStore(uri=DOWN, password="x", max_retry_s=0.2)
    with KnowledgeBase(tmp_path / "data", HashEmbedder(64), graph=store, degrade_graph=True) as base:
        assert DOWN in base.graph_error
        base.graph_retry_s = 0.0
        base.graph_unavailable(BackendUnavailableError("down at open"))  # retry at once
        result = HybridRetriever(base).retrieve("anything", user_id=USER)
        assert result.items == () and DOWN in result.skipped["graph"]
