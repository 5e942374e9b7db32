"""What only a real Neo4j 5 server can tell: that the Cypher the guard lets through is valid
Neo4j 5 Cypher, that concurrent relation upserts do not duplicate, and how the native vector
index treats zero vectors, other users' chunks and approximate (HNSW) search. Set NEO4J_URI
(e.g. after `make neo4j`, see README) to run the live tests; each uses fresh random user ids."""

from __future__ import annotations

import os
import threading
import uuid

import numpy as np
import pytest

from graph.cypher_guard import FUNCTIONS, UnsafeQueryError, validate_read_query

_NEEDS_A_SERVER = pytest.mark.skipif(
    not os.environ.get("NEO4J_URI"),
    reason="set NEO4J_URI (and NEO4J_USER/NEO4J_PASSWORD) to run against Neo4j")


def live(test):
    """Marks a test that needs the server (`pytest -m neo4j` selects them)."""
    return pytest.mark.neo4j(_NEEDS_A_SERVER(test))

DIM = 384  # the dimension the shared vector index is made for (tests/test_neo4j_live.py)
E = "(e:Entity {user_id: $user_id})"


@pytest.mark.parametrize("query", [f"MATCH {E} WHERE exists(e.name) RETURN e",
                                   f"MATCH {E} WHERE EXISTS (e.type) RETURN e.name"])
def test_the_removed_exists_function_is_refused(query):
    with pytest.raises(UnsafeQueryError, match="IS NOT NULL"):
        validate_read_query(query)


@pytest.fixture
def user() -> str:
    return "srv-" + uuid.uuid4().hex[:10]


@pytest.fixture
def store():
    pytest.importorskip("neo4j")
    from graph.neo4j_store import Neo4jGraphStore

    graph = Neo4jGraphStore(os.environ["NEO4J_URI"], os.environ.get("NEO4J_USER", "neo4j"),
                            os.environ.get("NEO4J_PASSWORD", ""))
    graph.open()
    yield graph
    graph.close()


def _explain(store, query: str) -> str:
    return store.run_read(lambda tx: tx.run("EXPLAIN " + query, {"user_id": "x"}).consume().query_type)


def _guard_examples() -> list:
    from graph.ask_graph import SYSTEM_PROMPT
    from tests.test_cypher_guard import SAFE

    example = SYSTEM_PROMPT.rsplit('{"cypher": "', 1)[1].rsplit('"}', 1)[0]
    return [pytest.param(q, id=name) for name, q in SAFE.items()] + [pytest.param(example, id="prompt")]


@live
@pytest.mark.parametrize("query", _guard_examples())
def test_queries_the_guard_allows_are_read_only_neo4j_5_cypher(store, query):
    assert _explain(store, validate_read_query(query)) == "r"


@live
def test_every_function_the_guard_allows_exists_on_the_server(store):
    names = store.run_read(lambda tx: {r["name"].lower() for r in tx.run("SHOW FUNCTIONS YIELD name")})
    path_functions = {"shortestpath", "allshortestpaths"}  # pattern syntax, not listed functions
    assert FUNCTIONS - path_functions <= names


@live
def test_concurrent_upserts_of_one_relation_make_one_relationship(user):
    pytest.importorskip("neo4j")
    from graph.neo4j_store import Neo4jGraphStore
    from graph.types import Entity, Relation

    stores = [Neo4jGraphStore(os.environ["NEO4J_URI"], os.environ.get("NEO4J_USER", "neo4j"),
                              os.environ.get("NEO4J_PASSWORD", "")) for _ in range(4)]
    for s in stores:
        s.open()
    try:
        stores[0].upsert_entities(user, [Entity("a", user, "A"), Entity("b", user, "B")])
        start, errors = threading.Barrier(len(stores)), []

        def upsert(s, n: int) -> None:
            start.wait()
            try:
                for j in range(5):
                    s.upsert_relations(user, [Relation(f"r{j}", user, "a", "b", "knows",
                                                       provenance=(f"src{n}",))])
            except Exception as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=upsert, args=(s, n)) for n, s in enumerate(stores)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert errors == []
        counts = stores[0].run_read(lambda tx: [r["n"] for r in tx.run(
            "MATCH ()-[r:RELATED {user_id: $u}]->() RETURN r.id AS id, count(*) AS n", {"u": user})])
        assert counts == [1] * 5
        assert len(stores[0].find_relations(user)) == 5
    finally:
        for s in stores:
            s.close()


def _unit(rng: np.random.Generator, rows: int) -> np.ndarray:
    v = rng.normal(size=(rows, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.fixture
def native(store):
    from graph.neo4j_chunks import Neo4jChunkIndexes
    from graph.types import Chunk

    def chunks_by_rowid(user_id, ids):
        return {i: Chunk(id=f"c{i}", document_id=f"d{i}", user_id=user_id, ordinal=0,
                         text=f"chunk {i}", collection="default") for i in ids}

    indexes = Neo4jChunkIndexes(store, DIM, chunks_by_rowid)
    indexes.ensure_schema()
    made: list = []
    yield indexes, made
    for index in made:
        index.remove(index.ids().tolist())


@live
def test_the_vector_index_is_made_as_asked(store, native):
    from graph.neo4j_chunks import VECTOR_INDEX

    indexes, _ = native
    rows = store.run_read(lambda tx: [r.data() for r in tx.run(
        "SHOW INDEXES YIELD name, type, state, options WHERE name = $n RETURN type, state, options",
        {"n": VECTOR_INDEX})])
    config = rows[0]["options"]["indexConfig"]
    assert rows[0]["type"] == "VECTOR" and rows[0]["state"] == "ONLINE"
    assert config["vector.dimensions"] == DIM and config["vector.similarity_function"] == "COSINE"
    assert indexes.exact_search  # 5.26 has vector.similarity.cosine


@live
def test_zero_vectors_neither_fail_nor_match(native, user):
    indexes, made = native
    index = indexes.vector_index(user)
    made.append(index)
    vectors = np.zeros((2, DIM), dtype=np.float32)
    vectors[1, 0] = 1.0
    index.add([1, 2], vectors)  # Neo4j refuses a zero vector in a cosine query: not stored
    assert index.ids().tolist() == [1, 2]
    assert index.search(np.zeros(DIM, dtype=np.float32), k=3) == []
    assert [h.id for h in index.search(vectors[1], k=3)] == [2]
    approximate = type(index)(indexes, user, exact_below=0)
    assert [h.id for h in approximate.search(vectors[1], k=3)] == [2]


@live
def test_a_small_user_among_many_chunks_gets_exact_neighbours(native, user):
    indexes, made = native
    rng = np.random.default_rng(7)
    crowd, mine = indexes.vector_index(user + "-crowd"), indexes.vector_index(user)
    made += [crowd, mine]
    crowd.add(range(1000, 1400), _unit(rng, 400))
    own = _unit(rng, 12)
    mine.add(range(1, 13), own)
    query = _unit(rng, 1)[0]
    exact = sorted(range(1, 13), key=lambda i: -float(own[i - 1] @ query))
    hits = mine.search(query, k=5)
    assert [h.id for h in hits] == exact[:5]
    assert [h.score for h in hits] == pytest.approx([float(own[i - 1] @ query) for i in exact[:5]], abs=1e-5)
    assert [h.id for h in mine.search(query, k=3, allowed_ids=exact[2:6])] == exact[2:5]
    # Through the HNSW index (what a user with many chunks gets): widened past the crowd until
    # it has k of this user's, whatever the index returned on the way.
    approximate = type(mine)(indexes, user, exact_below=0, widen_to=2000)
    found = approximate.search(query, k=5)
    assert len(found) == 5 and len({h.id for h in found} & set(exact[:5])) >= 4
