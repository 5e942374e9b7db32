"""Neo4j's native vector and full-text indexes (graph.neo4j_chunks), without a server: Lucene
quoting, score mapping, the schema, and the index logic over a fake transaction that answers the
index procedures like Neo4j (the seam around the server). Against a real Neo4j they run in
tests/test_neo4j_live.py when NEO4J_URI is set."""

from __future__ import annotations

import numpy as np
import pytest

from graph import neo4j_chunks as nc
from graph.chunking import with_title
from graph.errors import ConfigError, InputError
from graph.keyword import index_text
from graph.types import Chunk

USER = "alice"


class Row(dict):
    def data(self):
        return dict(self)


class Answer(list):
    def single(self):
        return self[0]

    def consume(self):
        return None


class FakeNeo4j:
    """Holds Chunk nodes and answers the queries of graph.neo4j_chunks as Neo4j would; the
    vector procedure ranks every user's chunks together, as Neo4j 5's does."""

    def __init__(self, dims: int | None = None, *, exact: bool = True) -> None:
        self.nodes: dict[tuple[str, int], dict] = {}
        self.schema: list[tuple[str, dict]] = []
        self.fetches: list[int] = []  # the ANN searches' candidate counts
        self.exact_searches = 0
        self.dims = dims
        self.exact = exact  # whether vector.similarity.cosine exists (Neo4j 5.18+)

    def run_schema(self, statement, **params):
        self.schema.append((statement, params))
        if statement == nc.CREATE_VECTOR_INDEX and self.dims is None:
            self.dims = params["dimensions"]

    def run_read(self, work, *args, timeout=-1.0):
        return work(self, *args)

    run_write = run_read

    def run(self, query, params=None, **kw):
        p = {**(params or {}), **kw}
        if query == nc.INDEX_OPTIONS:
            return Answer([Row(state="ONLINE", options={"indexConfig": {"vector.dimensions": self.dims}})])
        if query == nc.UPSERT_CHUNKS:
            for row in p["rows"]:
                self.nodes[(p["user"], row["rowid"])] = {**row, "user_id": p["user"]}
            return Answer()
        if query == nc.UNTITLED_CHUNKS:
            found = sorted(r for (u, r), n in self.nodes.items() if u == p["user"] and r > p["after"]
                           and (n.get("tokens_from") or "text") != p["titled"])
            return Answer([Row(rowid=r) for r in found[: p["n"]]])
        if query == nc.SET_TOKENS:
            for row in p["rows"]:
                node = self.nodes.get((p["user"], row["rowid"]))
                if node is not None:
                    node.update(tokens=row["tokens"], tokens_from=p["titled"])
            return Answer()
        if query == nc.DELETE_CHUNKS:
            gone = [self.nodes.pop((p["user"], r), None) for r in p["rowids"]]
            return Answer([Row(n=sum(g is not None for g in gone))])
        if query == nc.CHUNK_ROWIDS:
            return Answer([Row(rowid=r) for (u, r) in self.nodes if u == p["user"]])
        if query == nc.HAS_FUNCTION:
            return Answer([Row(n=int(self.exact and p["name"] == nc.EXACT_FUNCTION))])
        if query == nc.USER_CHUNK_COUNT:
            return Answer([Row(n=sum(u == p["user"] for u, _ in self.nodes))])
        if query == nc.ALL_CHUNK_COUNT:
            return Answer([Row(n=len(self.nodes))])
        if query == nc.EXACT_SEARCH:
            self.exact_searches += 1
            q = np.asarray(p["vector"])
            mine = [n for (u, r), n in self.nodes.items() if u == p["user"] and n["embedding"] is not None
                    and (p["allowed"] is None or r in p["allowed"])]
            scored = sorted(((n["rowid"], (1 + float(np.dot(n["embedding"], q))) / 2) for n in mine),
                            key=lambda x: (-x[1], x[0]))
            return Answer([Row(rowid=r, score=sc) for r, sc in scored[: p["k"]]])
        if query == nc.VECTOR_SEARCH:
            self.fetches.append(p["fetch"])
            q = np.asarray(p["vector"])
            indexed = [n for n in self.nodes.values() if n["embedding"] is not None]
            ranked = sorted(indexed, key=lambda n: -float(np.dot(n["embedding"], q)))
            return Answer([Row(rowid=n["rowid"], score=(1 + float(np.dot(n["embedding"], q))) / 2,
                               mine=n["user_id"] == p["user"] and (p["allowed"] is None
                                                                  or n["rowid"] in p["allowed"]))
                           for n in ranked[: p["fetch"]]])
        raise AssertionError(f"unexpected query {query}")


def chunk(rowid: int, user: str = USER, text: str = "hello world") -> Chunk:
    return Chunk(id=f"c{rowid}", document_id=f"d{rowid}", user_id=user, ordinal=0, text=text,
                 collection="default")


def indexes(store: FakeNeo4j, dim: int = 4, texts: dict[int, str] | None = None,
            titles: dict[int, str] | None = None) -> nc.Neo4jChunkIndexes:
    """Chunks with row ids below 1000 exist (1000 to 1999 are bob's); with ``titles``, the
    indexes are given each chunk's title + text, as ``DocumentStore.texts_by_rowid`` gives them."""
    texts = texts or {}

    def chunks_by_rowid(user, ids):
        return {i: chunk(i, user, texts.get(i, "hello world")) for i in ids
                if i < 1000 or (user == "bob" and i < 2000)}

    def texts_by_rowid(ids):
        return {i: with_title(titles.get(i, ""), texts.get(i, "hello world")) for i in ids if i < 2000}

    return nc.Neo4jChunkIndexes(store, dim, chunks_by_rowid,
                                texts_by_rowid=None if titles is None else texts_by_rowid)


def ann(native: nc.Neo4jChunkIndexes, user: str = USER, **kw) -> nc.Neo4jVectorIndex:
    """A vector index that always goes through the (approximate) HNSW index."""
    return nc.Neo4jVectorIndex(native, user, exact_below=0, **kw)


def unit(*xs: float) -> list[float]:
    v = np.asarray(xs, dtype=np.float32)
    return (v / np.linalg.norm(v)).tolist()


def test_lucene_queries_quote_every_token():
    assert nc.lucene_term('a"b\\c') == '"a\\"b\\\\c"'
    assert nc.lucene_any("Who wrote *THE* program? title:x AND y~2") == \
        '"wrote" OR "program" OR "title" OR "x" OR "y" OR "2"'
    assert nc.lucene_any("北京大学") is not None and nc.lucene_any("  ?! ") is None
    assert nc.lucene_phrase("Analytical  Engine") == '"analytical engine"'


def test_scores_and_index_options():
    assert nc.cosine_from_neo4j(1.0) == 1.0 and nc.cosine_from_neo4j(0.5) == 0.0
    assert nc.vector_dimensions({"indexConfig": {"vector.dimensions": 384}}) == 384
    assert nc.vector_dimensions(None) is None


def test_the_schema_is_idempotent_and_parameterized():
    store = FakeNeo4j()
    indexes(store, dim=384).ensure_schema()
    statements = [s for s, _ in store.schema]
    assert all("IF NOT EXISTS" in s for s in statements) and len(statements) == 4
    assert "$" not in nc.EXACT_SEARCH.split("vector.similarity.cosine")[0].split("WITH")[-1]
    params = dict(store.schema)[nc.CREATE_VECTOR_INDEX]
    assert params == {"name": nc.VECTOR_INDEX, "dimensions": 384, "similarity": "cosine"}
    assert "$dimensions" in nc.CREATE_VECTOR_INDEX and "'whitespace'" in nc.CREATE_FULLTEXT_INDEX


def test_an_index_built_for_another_embedder_is_refused():
    with pytest.raises(ConfigError, match="congming_chunk_embedding holds 768-dimensional"):
        indexes(FakeNeo4j(dims=768), dim=384).ensure_schema()


def test_add_search_remove_and_repair_for_one_user():
    store = FakeNeo4j()
    native = indexes(store, texts={1: "Ada Lovelace", 2: "北京大学"})
    index = native.vector_index(USER)
    index.open()
    index.add([1, 2, 3], [unit(1, 0, 0, 0), unit(0, 1, 0, 0), unit(1, 1, 0, 0)])
    assert store.nodes[(USER, 2)]["tokens"] == index_text("北京大学")
    assert np.linalg.norm(store.nodes[(USER, 1)]["embedding"]) == pytest.approx(1.0)
    hits = index.search(unit(1, 0, 0, 0), k=2)
    assert [h.id for h in hits] == [1, 3] and hits[0].score == pytest.approx(1.0)
    assert hits[1].score == pytest.approx(np.sqrt(0.5), abs=1e-6)
    assert [h.id for h in index.search(unit(1, 0, 0, 0), k=5, allowed_ids=[2])] == [2]
    assert index.search(unit(1, 0, 0, 0), k=5, allowed_ids=[]) == []
    assert index.remove([3, 99]) == 1 and len(index) == 2
    report = index.repair([1, 4], lambda ids: [unit(0, 0, 1, 0) for _ in ids])
    assert report.missing == (4,) and report.extra == (2,)
    assert index.ids().tolist() == [1, 4] and index.check([1, 4]).ok


def test_chunks_are_keyword_indexed_with_their_document_title():
    store = FakeNeo4j()
    native = indexes(store, texts={1: "Ada wrote the first program.", 2: "位于海淀区。"},
                     titles={1: "Analytical Engine", 2: "北京大学"})
    native.vector_index(USER).add([1, 2], [unit(1, 0, 0, 0), unit(0, 1, 0, 0)])
    assert store.nodes[(USER, 1)]["tokens"] == index_text("Analytical Engine\nAda wrote the first program.")
    assert store.nodes[(USER, 2)]["tokens"].startswith(index_text("北京大学"))
    assert {n["tokens_from"] for n in store.nodes.values()} == {nc.TITLED}
    untitled = FakeNeo4j()  # no title source: the chunk's text alone, and said so
    indexes(untitled, texts={1: "Ada"}).vector_index(USER).add([1], [unit(1, 0, 0, 0)])
    assert untitled.nodes[(USER, 1)]["tokens"] == "ada"
    assert untitled.nodes[(USER, 1)]["tokens_from"] == "text"


def test_opening_an_index_gives_chunks_written_before_titles_their_title():
    store = FakeNeo4j()
    texts = {i: f"chunk {i}" for i in (1, 2, 3, 4, 5, 1500)}
    old = indexes(store, texts=texts)  # what an older version wrote: text alone, no tokens_from
    old.vector_index(USER).add(range(1, 6), [unit(1, 0, 0, 0)] * 5)
    old.vector_index("bob").add([1500], [unit(1, 0, 0, 0)])
    for node in store.nodes.values():
        del node["tokens_from"]
    store.nodes[(USER, 1500)] = {**store.nodes[("bob", 1500)], "user_id": USER}  # not alice's in SQLite
    native = indexes(store, texts=texts, titles={i: "Lovelace" for i in range(2000)})
    assert native.add_titles(USER, batch_size=2) == 5  # in batches, past the row that is not hers
    assert store.nodes[(USER, 3)]["tokens"] == "lovelace chunk 3"
    assert store.nodes[(USER, 1500)]["tokens"] == store.nodes[("bob", 1500)]["tokens"] == "chunk 1500"
    assert native.add_titles(USER) == 0  # done once
    native.vector_index("bob").open()  # opening bob's index does his
    assert store.nodes[("bob", 1500)]["tokens"] == "lovelace chunk 1500"
    assert indexes(store).add_titles(USER) == 0  # without a title source there is nothing to do


def test_search_widens_past_other_users_chunks():
    store = FakeNeo4j()
    native = indexes(store)
    other = native.vector_index("bob")
    other.add(range(100, 160), [unit(1, 0.01 * i, 0, 0) for i in range(60)])
    mine = ann(native)
    mine.add([1, 2], [unit(0, 1, 0, 0), unit(0, 0, 1, 0)])
    hits = mine.search(unit(1, 0, 0, 0), k=2)
    assert [h.id for h in hits] == [1, 2] and store.fetches == [20, 80]  # bob's 60 came first
    store.fetches.clear()
    capped = ann(native, widen_to=30)
    assert capped.search(unit(1, 0, 0, 0), k=2) == [] and store.fetches == [20, 30]
    store.fetches.clear()
    assert [h.id for h in ann(native).search(unit(1, 0, 0, 0), k=5)] == [1, 2]
    assert store.fetches == [20, 80]  # every chunk was asked for: the search ends there


def test_a_user_with_few_chunks_is_searched_exactly():
    store = FakeNeo4j()
    native = indexes(store)
    native.vector_index("bob").add(range(100, 160), [unit(1, 0.01 * i, 0, 0) for i in range(60)])
    mine = native.vector_index(USER)
    mine.add([1, 2], [unit(0, 1, 0, 0), unit(0, 0, 1, 0)])
    hits = mine.search(unit(1, 0.1, 0, 0), k=2)
    assert [h.id for h in hits] == [1, 2] and store.fetches == [] and store.exact_searches == 1
    assert hits[0].score == pytest.approx(float(np.dot(unit(1, 0.1, 0, 0), unit(0, 1, 0, 0))), abs=1e-6)
    big = nc.Neo4jVectorIndex(native, USER, exact_below=1)
    assert [h.id for h in big.search(unit(0, 1, 0, 0), k=1, allowed_ids=[1])] == [1]  # few allowed
    assert store.fetches == [] and store.exact_searches == 2
    assert [h.id for h in big.search(unit(1, 0.1, 0, 0), k=1)] == [1] and store.fetches == [20, 80]


def test_without_the_similarity_function_every_search_uses_the_index():
    store = FakeNeo4j(exact=False)
    mine = indexes(store).vector_index(USER)
    mine.add([1, 2], [unit(0, 1, 0, 0), unit(0, 0, 1, 0)])
    assert [h.id for h in mine.search(unit(0, 1, 0, 0), k=1)] == [1]
    assert store.exact_searches == 0 and store.fetches == [20]


def test_zero_vectors_are_stored_unindexed_and_find_nothing():
    store = FakeNeo4j()
    mine = indexes(store).vector_index(USER)
    mine.add([1, 2], [[0.0] * 4, unit(0, 1, 0, 0)])
    assert store.nodes[(USER, 1)]["embedding"] is None and mine.ids().tolist() == [1, 2]
    assert mine.search([0.0] * 4, k=3) == [] and store.exact_searches == 0
    assert [h.id for h in mine.search(unit(0, 1, 0, 0), k=3)] == [2]
    assert [h.id for h in ann(indexes(store)).search(unit(0, 1, 0, 0), k=3)] == [2]


def test_bad_vectors_and_unknown_chunks_are_refused():
    index = indexes(FakeNeo4j()).vector_index(USER)
    with pytest.raises(InputError, match="dim 4"):
        index.add([1], [[1.0, 0.0]])
    with pytest.raises(InputError, match="twice"):
        index.add([1, 1], [unit(1, 0, 0, 0), unit(1, 0, 0, 0)])
    with pytest.raises(InputError, match="store the document before"):
        index.add([5000], [unit(1, 0, 0, 0)])
    with pytest.raises(InputError, match="non-negative"):
        index.remove([-1])


def test_keyword_search_sends_a_quoted_lucene_query():
    seen = []

    class Recorder(FakeNeo4j):
        def run(self, query, params=None, **kw):
            if query == nc.KEYWORD_SEARCH:
                seen.append({**(params or {}), **kw})
                return Answer([Row(rowid=7, chunk_id="c7", document_id="d7", score=3.5)])
            return super().run(query, params, **kw)

    keywords = indexes(Recorder()).keyword_index()
    hits = keywords.search(USER, "Ada's program", limit=3, collection="memory")
    assert hits[0].chunk_id == "c7" and hits[0].rowid == 7 and hits[0].score == 3.5
    assert seen[0]["query"] == '"ada" OR "s" OR "program"' and seen[0]["user"] == USER
    assert seen[0]["collection"] == "memory" and seen[0]["top"] == 3
    assert keywords.search(USER, "?!") == [] and len(seen) == 1
    assert keywords.chunks_with_phrase(USER, "Ada Lovelace") == ["c7"]
    assert seen[1]["query"] == '"ada lovelace"'


def test_the_knowledge_base_uses_the_native_indexes_when_asked(settings):
    pytest.importorskip("neo4j")
    from agent.components import create_knowledge_base
    from graph.embedding import HashEmbedder

    settings.graph.backend, settings.graph.uri, settings.graph.native_indexes = "neo4j", "bolt://x:1", True
    kb = create_knowledge_base(settings, HashEmbedder(32))  # no I/O: nothing is opened
    assert isinstance(kb.keywords, nc.Neo4jKeywordIndex) and not kb.degrade_graph
    index = kb._new_vector_index(USER)
    assert isinstance(index, nc.Neo4jVectorIndex) and index.dim == 32
