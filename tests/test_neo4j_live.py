"""The Neo4j paths end to end against a real server: set NEO4J_URI (and NEO4J_USER,
NEO4J_PASSWORD) to run them, e.g. in .github/workflows/neo4j-contract.yml. Each test uses fresh
random user ids, so a shared database needs no wiping; the vector index is made for 384
dimensions (the packaged MiniLM's), so the embedder here has 384 too."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest
from pydantic import SecretStr

pytestmark = [
    pytest.mark.neo4j,
    pytest.mark.skipif(not os.environ.get("NEO4J_URI"),
                       reason="set NEO4J_URI (and NEO4J_USER/NEO4J_PASSWORD) to run against Neo4j"),
]

DIM = 384
TEXTS = {
    "engine": "Charles Babbage designed the Analytical Engine. Ada Lovelace wrote its first program.",
    "turing": "Alan Turing described a universal machine in 1936 at Cambridge.",
    "北京": "北京大学位于北京市海淀区，是中国著名的高等学府。",
}


@pytest.fixture
def user() -> str:
    return "live-" + uuid.uuid4().hex[:10]


@pytest.fixture
def neo4j_settings(settings):
    pytest.importorskip("neo4j")
    settings.embedder.backend = "hash"
    settings.knowledge.extractor = "none"
    settings.graph.backend = "neo4j"
    settings.graph.uri = os.environ["NEO4J_URI"]
    settings.graph.user = os.environ.get("NEO4J_USER", "neo4j")
    settings.graph.password = SecretStr(os.environ.get("NEO4J_PASSWORD", ""))
    return settings


def _open(settings):
    from agent.components import create_knowledge_base
    from graph.embedding import HashEmbedder
    from graph.ingest import Ingestor

    kb = create_knowledge_base(settings, HashEmbedder(DIM))
    kb.open()
    return kb, Ingestor(kb, None)


@pytest.mark.parametrize("native", [False, True], ids=["faiss+fts5", "native-indexes"])
def test_ingest_retrieve_and_forget_with_the_graph_in_neo4j(neo4j_settings, user, native):
    from graph.retrieve import HybridRetriever

    neo4j_settings.graph.native_indexes = native
    kb, ingestor = _open(neo4j_settings)
    with kb:
        assert kb.graph_error is None
        outcomes = {n: ingestor.ingest_text(t, user_id=user, source=f"{n}.txt") for n, t in TEXTS.items()}
        assert kb.graph.stats(user).entities >= 3  # a topic entity per document at least
        result = HybridRetriever(kb).retrieve("Analytical Engine program", user_id=user, k=2)
        assert result.items[0].chunk.document_id == outcomes["engine"].document_id
        assert result.skipped == {} and {"dense", "bm25"} <= set(result.items[0].signals)
        chinese = HybridRetriever(kb).retrieve("北京大学", user_id=user, k=1)
        assert chinese.items[0].chunk.document_id == outcomes["北京"].document_id
        removed = ingestor.forget_document(user, outcomes["turing"].document_id)
        assert removed is not None and removed.graph.entities >= 1  # its topic entity went too
        left = HybridRetriever(kb).retrieve("universal machine", user_id=user, k=5)
        assert outcomes["turing"].document_id not in {i.chunk.document_id for i in left.items}


def test_native_indexes_keep_users_apart(neo4j_settings, user):
    from graph.retrieve import HybridRetriever

    neo4j_settings.graph.native_indexes = True
    other = user + "-other"
    kb, ingestor = _open(neo4j_settings)
    with kb:
        ingestor.ingest_text(TEXTS["engine"], user_id=other, source="engine.txt")
        ingestor.ingest_text(TEXTS["turing"], user_id=user, source="turing.txt")
        result = HybridRetriever(kb).retrieve("Analytical Engine", user_id=user, k=5)
        assert {i.chunk.user_id for i in result.items} <= {user}
        assert kb.keywords.chunks_with_phrase(user, "universal machine")
        assert kb.keywords.chunks_with_phrase(user, "analytical engine") == []


def test_asking_the_graph_runs_read_only(neo4j_settings, user):
    from graph.ask_graph import GraphAsker
    from graph.cypher_guard import UnsafeQueryError
    from graph.types import Entity, Relation

    neo4j = pytest.importorskip("neo4j")
    kb, _ = _open(neo4j_settings)
    with kb:
        kb.graph.upsert_entities(user, [Entity("ada", user, "Ada Lovelace", "person"),
                                        Entity("london", user, "London", "place")])
        kb.graph.upsert_relations(user, [Relation("r1", user, "ada", "london", "lives_in")])
        query = ("MATCH (p:Entity {user_id: $user_id})-[r:RELATED]->(c:Entity {user_id: $user_id}) "
                 "WHERE toLower(p.name) = 'ada lovelace' AND r.type = 'lives_in' RETURN c.name AS place")

        class Model:
            def complete_json(self, system, question, schema):
                return json.dumps({"cypher": query})

        answer = GraphAsker(Model(), kb.graph).ask("Where does Ada live?", user_id=user)
        assert answer.rows == ({"place": "London"},)
        assert GraphAsker(Model(), kb.graph).ask("Where?", user_id=user + "-x").rows == ()

        def write_in_a_read_transaction(tx):
            tx.run("MATCH (e:Entity {user_id: $user}) SET e.hacked = true", {"user": user}).consume()

        with pytest.raises(neo4j.exceptions.ClientError):  # no writes in a read transaction
            kb.graph.run_read(write_in_a_read_transaction)
        plan = kb.graph.run_read(lambda tx: tx.run(
            "EXPLAIN MATCH (e:Entity {user_id: $user}) SET e.x = 1", {"user": user}).consume().query_type)
        assert plan in ("w", "rw")
        asker = GraphAsker(Model(), kb.graph)
        with pytest.raises(UnsafeQueryError):
            asker.run("MATCH (e:Entity {user_id: $user_id}) SET e.x = 1", user_id=user)


def test_export_from_sqlite_into_neo4j_and_back_loses_nothing(neo4j_settings, user, tmp_path: Path):
    from graph.embedding import HashEmbedder
    from graph.ingest import Ingestor
    from graph.knowledge import KnowledgeBase
    from graph.migrate import export_knowledge, import_knowledge
    from graph.types import Entity, Relation

    first, second, third = tmp_path / "1.jsonl", tmp_path / "2.jsonl", tmp_path / "3.jsonl"
    with KnowledgeBase(tmp_path / "sqlite", HashEmbedder(DIM)) as embedded:
        for name, text in TEXTS.items():
            Ingestor(embedded, None).ingest_text(text, user_id=user, source=f"{name}.txt")
        embedded.graph.upsert_entities(user, [Entity("x", user, "X", aliases=("ex",), provenance=("s1",)),
                                              Entity("y", user, "Y", provenance=("s2",))])
        embedded.graph.upsert_relations(user, [Relation("xy", user, "x", "y", "knows", 2.0,
                                                        {"since": 2020}, provenance=("s1", "s2"))])
        embedded.graph.invalidate_relation(user, "xy")
        export_knowledge(embedded, first, user_ids=[user])
    neo4j_settings.data_dir = tmp_path / "neo4j-side"
    kb, _ = _open(neo4j_settings)
    with kb:
        import_knowledge(kb, first)
        export_knowledge(kb, second, user_ids=[user])
    with KnowledgeBase(tmp_path / "sqlite-again", HashEmbedder(DIM)) as back:
        import_knowledge(back, second)
        export_knowledge(back, third, user_ids=[user])

    def records(path: Path) -> list[dict]:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        return [{k: v for k, v in r.items() if k not in ("exported_at", "graph_backend")} for r in rows]

    assert records(first) == records(second) == records(third)


def test_doctor_passes_against_the_server(neo4j_settings):
    from agent.components import open_knowledge
    from agent.doctor_graph import check_graph

    kb, _ = open_knowledge(neo4j_settings)  # creates the schema
    kb.close()
    checks = {c.name: c for c in check_graph(neo4j_settings)}
    assert checks["neo4j connection"].status == "ok"
    assert checks["neo4j version"].status == "ok"
    assert checks["neo4j schema"].status == "ok", checks["neo4j schema"].detail


def _open_titled(settings):
    """The knowledge base ``create_knowledge_base`` makes with native indexes, and with the
    chunks' title + text as the keyword indexes' title source (``texts_by_rowid``)."""
    from agent.components import create_graph_store
    from graph.embedding import HashEmbedder
    from graph.ingest import Ingestor
    from graph.knowledge import KnowledgeBase
    from graph.neo4j_chunks import Neo4jChunkIndexes

    graph = create_graph_store(settings.graph)
    native = Neo4jChunkIndexes(graph, DIM, lambda user, ids: kb.documents.chunks_by_rowid(user, ids),
                               texts_by_rowid=lambda ids: kb.documents.texts_by_rowid(ids))
    kb = KnowledgeBase(settings.data_dir / "knowledge", HashEmbedder(DIM), graph=graph,
                       vector_index=native.vector_index, keywords=native.keyword_index())
    kb.open()
    return kb, Ingestor(kb, None)


def test_a_keyword_query_that_only_matches_the_title_finds_the_chunk(neo4j_settings, user):
    """As on SQLite (tests/test_keyword_index.py): every chunk is keyword-indexed as its
    document's title + its text; what is stored and shown stays the text. A chunk node written
    before titles were indexed gets its title when the user's index is next opened."""
    from graph.retrieve import HybridRetriever

    text = "Ada Lovelace wrote its first program in 1843."
    kb, ingestor = _open_titled(neo4j_settings)
    with kb:
        added = ingestor.ingest_text(text, user_id=user, source="engine.txt", title="Analytical Engine")
        hits = kb.keywords.search(user, "analytical", limit=5)
        assert [h.document_id for h in hits] == [added.document_id]
        assert kb.keywords.chunks_with_phrase(user, "Analytical Engine") == [hits[0].chunk_id]
        assert kb.documents.get_chunks(user, [hits[0].chunk_id])[0].text == text  # stored: the text
        result = HybridRetriever(kb).retrieve("Analytical", user_id=user, k=1)
        assert result.items[0].chunk.text == text and "bm25" in result.items[0].signals
        kb.graph.run_write(lambda tx: tx.run(  # as an older version wrote it: text alone
            "MATCH (c:Chunk {user_id: $user}) SET c.tokens = 'ada lovelace' REMOVE c.tokens_from",
            {"user": user}).consume())
        assert kb.keywords.search(user, "analytical") == []
    kb, _ = _open_titled(neo4j_settings)
    with kb:
        kb.vectors(user)  # opening the user's index re-tokenizes their chunks
        assert [h.document_id for h in kb.keywords.search(user, "analytical")] == [added.document_id]
        assert kb.graph.run_read(lambda tx: tx.run(
            "MATCH (c:Chunk {user_id: $user}) RETURN c.tokens_from AS f", {"user": user}).single()["f"]) \
            == "title+text"
