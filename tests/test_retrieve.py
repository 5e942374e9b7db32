"""graph.retrieve: rank fusion, personalized PageRank and the hybrid retriever."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.embedding import HashEmbedder, SentenceTransformerEmbedder
from graph.errors import InputError
from graph.ingest import Ingestor
from graph.knowledge import KnowledgeBase
from graph.retrieve import HybridRetriever, personalized_pagerank, reciprocal_rank_fusion
from graph.types import stable_id

USER = "alice"


# ---- reciprocal rank fusion -------------------------------------------------------------
def test_rrf_sums_reciprocal_ranks():
    fused = reciprocal_rank_fusion([[("a", 9.0), ("b", 5.0), ("c", 1.0)], [("c", 0.3), ("a", 0.1)]], k=60)
    assert [item for item, _ in fused] == ["a", "c", "b"]
    scores = dict(fused)
    assert scores["a"] == pytest.approx(1 / 61 + 1 / 62)
    assert scores["c"] == pytest.approx(1 / 63 + 1 / 61)
    assert scores["b"] == pytest.approx(1 / 62)


def test_rrf_uses_ranks_not_scores_and_breaks_ties_by_id():
    assert reciprocal_rank_fusion([[("y", 1e9)], [("x", -5.0)]]) == [("x", 1 / 61), ("y", 1 / 61)]
    assert reciprocal_rank_fusion([[("a", 1.0), ("b", 1.0)]], k=0) == [("a", 1.0), ("b", 0.5)]
    assert reciprocal_rank_fusion([]) == [] and reciprocal_rank_fusion([[], []]) == []


def test_rrf_weights():
    rankings = [[("a", 1.0), ("b", 1.0)], [("b", 1.0), ("a", 1.0)]]
    assert [i for i, _ in reciprocal_rank_fusion(rankings, weights=[1.0, 2.0])] == ["b", "a"]
    assert reciprocal_rank_fusion(rankings, weights=[0.0, 1.0], k=1) == [("b", 0.5), ("a", 1 / 3)]


# ---- personalized PageRank ----------------------------------------------------------------
PATH = [(0, 1, 1.0), (1, 2, 1.0)]  # 0 - 1 - 2, and node 3 has no edges


def test_ppr_on_a_path_matches_the_hand_computed_fixed_point():
    # x0 = .5 + .5 * x1/2, x1 = .5 * (x0 + x2), x2 = .5 * x1/2  ->  7/12, 4/12, 1/12
    mass = personalized_pagerank(PATH, np.array([1.0, 0, 0, 0]), damping=0.5, iterations=60)
    assert mass == pytest.approx([7 / 12, 4 / 12, 1 / 12, 0.0], abs=1e-9)
    assert mass.sum() == pytest.approx(1.0)  # no dangling node reached: mass is kept


def test_ppr_mass_flows_to_the_neighbours_of_the_seed_by_edge_weight():
    star = [(0, 1, 3.0), (0, 2, 1.0), (2, 3, 1.0)]
    mass = personalized_pagerank(star, np.array([1.0, 0, 0, 0, 0]), damping=0.5, iterations=60)
    assert mass[0] > mass[1] > mass[2] > mass[3] > 0
    assert mass[4] == 0  # not connected to the seed
    # node 1 only talks to 0: x1 = d * 3/4 * x0; node 2 gets a quarter of 0 plus half of 3
    assert mass[1] == pytest.approx(0.5 * 0.75 * mass[0])
    assert mass[2] == pytest.approx(0.5 * (0.25 * mass[0] + mass[3]))


def reference_ppr(edges, reset: np.ndarray, damping: float, iterations: int = 500) -> np.ndarray:
    """Textbook PPR on a dense matrix; a node without edges sends its mass back to the restart."""
    n = len(reset)
    adjacency = np.zeros((n, n))
    for a, b, w in edges:
        adjacency[a, b] += w
        adjacency[b, a] += w
    out = adjacency.sum(axis=1)
    x = reset.copy()
    for _ in range(iterations):
        walked = adjacency.T @ np.divide(x, out, out=np.zeros(n), where=out > 0)
        x = (1 - damping) * reset + damping * (walked + x[out == 0].sum() * reset)
    return x


def test_ppr_dangling_nodes_keep_only_their_restart_share():
    reset = np.array([0.5, 0, 0, 0.5])
    mass = personalized_pagerank(PATH, reset, damping=0.5, iterations=60)
    assert mass[3] == pytest.approx(0.5 * 0.5)  # (1 - damping) * its restart mass
    assert mass[:3] == pytest.approx(0.5 * np.array([7 / 12, 4 / 12, 1 / 12]), abs=1e-9)
    # the lost mass only scales the result: normalised, it is the textbook PPR
    assert mass / mass.sum() == pytest.approx(reference_ppr(PATH, reset, 0.5), abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(edges=st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7), st.floats(0.1, 5.0)), max_size=14),
       reset=st.lists(st.floats(0.0, 1.0), min_size=8, max_size=8).filter(lambda r: sum(r) > 0.1),
       damping=st.floats(0.05, 0.9))
def test_ppr_ranks_like_the_textbook_definition(edges, reset, damping):
    reset = np.array(reset) / sum(reset)
    mass = personalized_pagerank(edges, reset, damping=damping, iterations=200)
    expected = reference_ppr(edges, reset, damping)
    assert (mass >= 0).all() and mass.sum() <= 1 + 1e-9
    assert mass / mass.sum() == pytest.approx(expected, abs=1e-6)


def test_ppr_restart_distribution_and_damping():
    reset = np.array([0.0, 0.0, 1.0, 0.0])
    assert personalized_pagerank(PATH, reset, damping=0.0) == pytest.approx(reset)
    mass = personalized_pagerank(PATH, reset, damping=0.5, iterations=60)
    assert mass == pytest.approx([1 / 12, 4 / 12, 7 / 12, 0.0], abs=1e-9)  # the mirror image
    both = personalized_pagerank(PATH, np.array([0.5, 0, 0.5, 0]), damping=0.5, iterations=60)
    assert both == pytest.approx([1 / 3, 1 / 3, 1 / 3, 0.0], abs=1e-9)  # linear in the restart
    high = personalized_pagerank(PATH, np.array([1.0, 0, 0, 0]), damping=0.9, iterations=300)
    low = personalized_pagerank(PATH, np.array([1.0, 0, 0, 0]), damping=0.1, iterations=300)
    assert high[2] > low[2]  # more damping walks further from the seed


def test_ppr_without_edges_is_the_restart_distribution():
    reset = np.array([0.25, 0.75])
    mass = personalized_pagerank([], reset)
    assert mass == pytest.approx(reset) and mass is not reset


# ---- the hybrid retriever -----------------------------------------------------------------
CORPUS = [  # (title, text, collection)
    ("Ada Lovelace", "Ada Lovelace worked closely with Charles Babbage on the Analytical Engine.", "people"),
    ("Charles Babbage", "He spent his childhood in Walworth, Surrey, before studying at Trinity.",
     "people"),
    ("Springfield", "The city council of Springfield hosted a large festival last year.", "places"),
    ("Mentoring", "A good mentor hosted weekly meetings for every student in the city.", "misc"),
    ("Eiffel Tower", "The Eiffel Tower is a wrought-iron lattice tower in Paris, France.", "places"),
    ("Great Wall", "The Great Wall of China is a series of fortifications in northern China.", "places"),
]
QUESTION = "Which city hosted the mentor of Ada Lovelace?"  # the answer: Babbage's childhood


def build(base: KnowledgeBase, corpus=CORPUS, user: str = USER) -> None:
    ingestor = Ingestor(base, None, chunk_size=60, overlap=0)
    for title, text, collection in corpus:
        ingestor.ingest_text(text, user_id=user, source=f"{title}.txt", title=title, collection=collection)
    base.save()


def chunk_of(title: str, user: str = USER, collection: str = "default", ordinal: int = 0) -> str:
    return f"{stable_id('doc', user, collection, f'{title}.txt')}-{ordinal}"


CHUNK = {title: chunk_of(title, collection=collection) for title, _, collection in CORPUS}


@pytest.fixture
def kb(tmp_path: Path) -> Iterator[KnowledgeBase]:
    with KnowledgeBase(tmp_path / "data", HashEmbedder(256)) as base:
        build(base)
        yield base


@pytest.fixture
def retriever(kb: KnowledgeBase) -> HybridRetriever:
    return HybridRetriever(kb)


def ids(result) -> list[str]:
    return [item.chunk.id for item in result.items]


def test_each_signal_alone(retriever):
    dense = retriever.retrieve("Eiffel Tower in Paris", user_id=USER, k=3, signals=["dense"])
    assert ids(dense)[0] == CHUNK["Eiffel Tower"]
    assert all(set(item.signals) == {"dense"} for item in dense.items)
    bm25 = retriever.retrieve("wrought-iron lattice", user_id=USER, k=3, signals=["bm25"])
    assert ids(bm25) == [CHUNK["Eiffel Tower"]]
    assert set(bm25.items[0].signals) == {"bm25"} and bm25.items[0].signals["bm25"].score > 0
    graph = retriever.retrieve("Tell me about Charles Babbage", user_id=USER, k=5, signals=["graph"])
    assert set(ids(graph)) == {CHUNK["Charles Babbage"], CHUNK["Ada Lovelace"]}  # chunks naming him
    assert graph.query_entities == ("Charles Babbage",)
    assert all(set(item.signals) == {"graph"} for item in graph.items)
    assert retriever.retrieve("nothing known here", user_id=USER, signals=["graph"]).items == ()


def test_fused_results_carry_per_signal_ranks_and_scores(retriever):
    result = retriever.retrieve(QUESTION, user_id=USER, k=6)
    alone = {signal: ids(retriever.retrieve(QUESTION, user_id=USER, k=50, signals=[signal]))
             for signal in ("dense", "bm25")}
    scores = [item.score for item in result.items]
    assert scores == sorted(scores, reverse=True) and len(result.items) == 6
    for item in result.items:
        assert item.signals, "every result comes from at least one signal"
        assert item.score == pytest.approx(sum(1 / (retriever.rrf_k + hit.rank)
                                               for hit in item.signals.values()))
        for signal in ("dense", "bm25"):
            if signal in item.signals:
                assert alone[signal][item.signals[signal].rank - 1] == item.chunk.id
            else:
                assert item.chunk.id not in alone[signal]
    assert set(result.timings_ms) >= {"dense", "bm25", "graph", "total"}
    assert result.query == QUESTION and result.query_entities == ("Ada Lovelace",)


def test_a_keyword_query_is_what_bm25_searches_while_dense_reads_the_query(retriever):
    result = retriever.retrieve("Eiffel Tower in Paris", user_id=USER, k=6,
                                keyword_query="fortifications China", signals=["dense", "bm25"])
    found = {item.chunk.id: item.signals for item in result.items}
    assert [chunk for chunk, signals in found.items() if "bm25" in signals] == [CHUNK["Great Wall"]]
    assert found[CHUNK["Eiffel Tower"]]["dense"].rank == 1 and "bm25" not in found[CHUNK["Eiffel Tower"]]


def test_results_keep_their_provenance(retriever):
    result = retriever.retrieve("Great Wall fortifications", user_id=USER, k=2)
    top = result.items[0]
    assert top.chunk.id == CHUNK["Great Wall"] and top.chunk.user_id == USER
    assert top.chunk.text == CORPUS[5][1]
    assert (top.document.id, top.document.title, top.document.source, top.document.collection) == (
        top.chunk.document_id, "Great Wall", "Great Wall.txt", "places")


def test_multi_hop_answer_is_found_only_through_the_bridge_entity(retriever):
    # The question names Ada Lovelace; her chunk names Charles Babbage (linked to his document's
    # topic entity); his chunk holds the answer but shares no word with the question.
    answer, k = CHUNK["Charles Babbage"], 4
    hybrid = retriever.retrieve(QUESTION, user_id=USER, k=k)
    assert answer in ids(hybrid)
    item = next(i for i in hybrid.items if i.chunk.id == answer)
    assert "graph" in item.signals and "bm25" not in item.signals
    assert item.signals["graph"].rank == retriever.seed_chunks + 1  # first after the seed chunks
    assert answer not in ids(retriever.retrieve(QUESTION, user_id=USER, k=k, signals=["dense"]))
    assert answer not in ids(retriever.retrieve(QUESTION, user_id=USER, k=50, signals=["bm25"]))
    assert answer not in ids(retriever.retrieve(QUESTION, user_id=USER, k=k, signals=["dense", "bm25"]))


def test_the_walk_is_seeded_only_by_chunks_the_signals_agree_on(kb):
    gated = HybridRetriever(kb, seed_agreement=2)
    rankings = {"dense": [("a", 0.9), ("b", 0.8), ("c", 0.7)], "bm25": [("b", 9.0), ("d", 8.0), ("a", 7.0)]}
    seeds = [("a", 0.1), ("b", 0.09), ("d", 0.08)]
    assert gated._confident(rankings, seeds) == [("b", 0.09)]  # a is third for BM25, d only BM25's
    assert HybridRetriever(kb, seed_agreement=0)._confident(rankings, seeds) == seeds  # the gate off
    assert gated._confident({"bm25": rankings["bm25"]}, seeds) == seeds  # one signal: nothing to agree
    # the bridge question's seed (Ada Lovelace's chunk) is one both signals rank first: the walk still runs
    hybrid = gated.retrieve(QUESTION, user_id=USER, k=4)
    assert CHUNK["Charles Babbage"] in ids(hybrid)


def test_collection_filter(retriever):
    result = retriever.retrieve("city festival mentor Babbage", user_id=USER, k=10, collection="places")
    assert ids(result) and all(item.chunk.collection == "places" for item in result.items)
    assert CHUNK["Springfield"] in ids(result)
    assert retriever.retrieve("Babbage", user_id=USER, collection="nowhere").items == ()


def test_graph_neighbours_in_other_collections_do_not_crowd_out_the_collection(tmp_path):
    corpus = [(f"Note {i}", f"Charles Babbage appears in note number {i}.", "other") for i in range(30)]
    corpus += [("Charles Babbage", "He spent his childhood in Walworth, Surrey.", "mine")]
    with KnowledgeBase(tmp_path / "data", HashEmbedder(64)) as base:
        build(base, corpus)
        result = HybridRetriever(base).retrieve("Charles Babbage", user_id=USER, k=1, signals=["graph"],
                                                collection="mine")
    assert ids(result) == [chunk_of("Charles Babbage", collection="mine")]
    assert result.items[0].signals["graph"].rank == 1  # ranked within the collection


def test_users_are_isolated(kb, retriever):
    build(kb, [("Secret", "Bob keeps the Eiffel Tower blueprint secret.", "default")], user="bob")
    assert all(item.chunk.user_id == USER for item in
               retriever.retrieve("Eiffel Tower blueprint secret", user_id=USER, k=10).items)
    bob = retriever.retrieve("Eiffel Tower", user_id="bob", k=10)
    assert ids(bob) == [chunk_of("Secret", user="bob")]
    assert retriever.retrieve("Eiffel Tower", user_id="carol").items == ()


@pytest.mark.parametrize("query", ["", "   ", "\n\t", None, 42])
def test_empty_or_non_text_query_is_an_input_error(retriever, query):
    with pytest.raises(InputError, match="empty"):
        retriever.retrieve(query, user_id=USER)


def test_unknown_signals_and_bad_k_are_input_errors(kb, retriever):
    with pytest.raises(InputError, match="Unknown retrieval signals"):
        HybridRetriever(kb, signals=["dense", "sparse"])
    with pytest.raises(InputError):
        HybridRetriever(kb, signals=[])
    with pytest.raises(InputError, match="Unknown retrieval signals"):
        retriever.retrieve("Eiffel", user_id=USER, signals=["vibes"])
    with pytest.raises(InputError, match="k"):
        retriever.retrieve("Eiffel", user_id=USER, k=0)
    assert len(retriever.retrieve("the", user_id=USER, k=1).items) == 1


# ---- isolation, property-based --------------------------------------------------------------
WORDS = ["Ada Lovelace", "Charles Babbage", "engine", "tower", "Paris", "北京", "大学", "city", "notes"]
documents = st.lists(
    st.tuples(st.sampled_from(["alice", "bob", "carol"]),
              st.sampled_from(["Ada Lovelace", "Charles Babbage", "Paris", "北京大学", "misc"]),
              st.lists(st.sampled_from(WORDS), min_size=1, max_size=12).map(" ".join)),
    min_size=1, max_size=8)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs=documents, user=st.sampled_from(["alice", "bob", "carol", "dave"]),
       query=st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(" ".join))
def test_never_another_users_chunk(docs, user, query):
    with tempfile.TemporaryDirectory() as tmp, KnowledgeBase(tmp, HashEmbedder(32)) as base:
        ingestor = Ingestor(base, None, chunk_size=60, overlap=0)
        for n, (owner, title, text) in enumerate(docs):
            ingestor.ingest_text(text, user_id=owner, source=f"{n}.txt", title=title)
        result = HybridRetriever(base).retrieve(query, user_id=user, k=20)
        assert len(result.items) <= len(base.documents.chunk_rowids(user))
        for item in result.items:
            assert item.chunk.user_id == user and item.document.user_id == user
            assert all(entity.startswith("ent-") for entity, _ in
                       base.graph.mentions(user, source_ids=[item.chunk.id]))
        assert set(result.query_entities) <= {title for owner, title, _ in docs if owner == user}


# ---- English and Chinese retrieval with each embedder ----------------------------------------
@pytest.fixture(scope="module")
def minilm() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder()


@pytest.fixture(params=["hash", pytest.param("minilm", marks=pytest.mark.model)])
def any_kb(request, tmp_path) -> Iterator[KnowledgeBase]:
    embedder = HashEmbedder(256) if request.param == "hash" else request.getfixturevalue("minilm")
    with KnowledgeBase(tmp_path / "data", embedder) as base:
        yield base


ENGLISH = [
    ("Eiffel Tower", "The Eiffel Tower is a wrought-iron lattice tower in Paris, France. It was "
                     "built for the 1889 World's Fair.", "default"),
    ("Great Wall", "The Great Wall of China is a series of fortifications in northern China.", "default"),
    ("Neo4j", "Neo4j is a graph database that stores nodes and relationships.", "default"),
    ("Photosynthesis", "Plants turn sunlight, water and carbon dioxide into sugar and oxygen.", "default"),
]
CHINESE = [
    ("北京大学", "北京大学是中国的一所著名大学，位于北京市海淀区。", "default"),
    ("上海", "上海是中国的经济中心，黄浦江穿城而过。", "default"),
    ("长城", "长城是中国古代的军事防御工程，绵延万里。", "default"),
    ("光合作用", "植物利用阳光、水和二氧化碳制造糖和氧气。", "default"),
]


@pytest.mark.parametrize(("query", "title"), [
    ("When was the Eiffel Tower built?", "Eiffel Tower"),
    ("fortifications in northern China", "Great Wall"),
    ("Which database stores relationships between nodes?", "Neo4j"),
    ("How do plants make sugar?", "Photosynthesis"),
])
def test_english_retrieval(any_kb, query, title):
    build(any_kb, ENGLISH)
    result = HybridRetriever(any_kb).retrieve(query, user_id=USER, k=2)
    assert ids(result)[0] == chunk_of(title)


@pytest.mark.parametrize(("query", "title"), [
    ("北京大学在哪个区？", "北京大学"),
    ("黄浦江流经哪座城市？", "上海"),
    ("长城是什么工程", "长城"),
    ("植物怎样制造氧气？", "光合作用"),
])
def test_chinese_retrieval(any_kb, query, title):
    build(any_kb, CHINESE)
    result = HybridRetriever(any_kb).retrieve(query, user_id=USER, k=2)
    assert ids(result)[0] == chunk_of(title)
    assert result.items[0].document.title == title


@pytest.mark.model
def test_dense_signal_finds_a_paraphrase_with_the_real_embedder(minilm, tmp_path):
    with KnowledgeBase(tmp_path / "data", minilm) as base:
        build(base, ENGLISH)
        retriever = HybridRetriever(base)
        query = "Which iron landmark stands in the French capital?"
        assert ids(retriever.retrieve(query, user_id=USER, k=1, signals=["dense"])) == [
            chunk_of("Eiffel Tower")]
        assert ids(retriever.retrieve("green leaves making food from light", user_id=USER, k=1,
                                      signals=["dense"])) == [chunk_of("Photosynthesis")]


class RecordingEmbedder(HashEmbedder):
    """A hash embedder that remembers every text it was asked to embed."""

    def __init__(self, dim: int = 64) -> None:
        super().__init__(dim)
        self.seen: list[str] = []

    def embed(self, texts):
        self.seen += list(texts)
        return super().embed(texts)


def test_later_chunks_are_embedded_and_indexed_with_their_document_title(tmp_path):
    embedder = RecordingEmbedder()
    long_text = ("Its engine burned coal. " * 12 + "\n\n") + "The crew of nine sailed north in winter. " * 6
    with KnowledgeBase(tmp_path / "data", embedder) as base:
        added = Ingestor(base, None, chunk_size=60, overlap=0).ingest_text(
            long_text, user_id=USER, source="ship.txt", title="Karluk Steamer")
        assert added.chunks >= 2
        chunks = base.documents.document_chunks(USER, added.document_id)
        assert all("Karluk" not in c.text for c in chunks)  # stored text and offsets unchanged
        assert all(c.text == long_text[c.start:c.end] for c in chunks)
        embedded = [t for t in embedder.seen if "Karluk" in t]
        assert embedded == [f"Karluk Steamer\n{c.text}" for c in chunks]
        retriever = HybridRetriever(base)
        found = retriever.retrieve("karluk", user_id=USER, k=10, signals=["bm25"])
        assert {item.chunk.id for item in found.items} == {c.id for c in chunks}


def test_signal_weights_scale_each_signals_share_and_keep_its_ranks(kb):
    weights = {"dense": 1.0, "bm25": 0.5, "graph": 2.0}
    retriever = HybridRetriever(kb, weights=weights)
    result = retriever.retrieve(QUESTION, user_id=USER, k=6)
    for item in result.items:
        assert item.signals
        assert item.score == pytest.approx(sum(weights[name] / (retriever.rrf_k + hit.rank)
                                               for name, hit in item.signals.items()))
    equal = ids(HybridRetriever(kb).retrieve(QUESTION, user_id=USER, k=6))
    assert ids(HybridRetriever(kb, weights={"dense": 1.0}).retrieve(QUESTION, user_id=USER, k=6)) == equal
    only_bm25 = HybridRetriever(kb, weights={"dense": 0.0, "graph": 0.0}).retrieve(
        "wrought-iron lattice", user_id=USER, k=1)
    assert ids(only_bm25) == [CHUNK["Eiffel Tower"]] and "bm25" in only_bm25.items[0].signals


@pytest.mark.parametrize("weights", [{"sparse": 1.0}, {"bm25": -1.0}, {"dense": float("nan")}])
def test_bad_signal_weights_are_input_errors(kb, weights):
    with pytest.raises(InputError):
        HybridRetriever(kb, weights=weights)


def test_a_chinese_query_is_not_ranked_by_an_english_only_embedder(tmp_path):
    from graph.embedding import HashEmbedder
    from graph.knowledge import KnowledgeBase
    from graph.retrieve import HybridRetriever

    embedder = HashEmbedder()
    with KnowledgeBase(tmp_path / "kb", embedder) as kb:
        Ingestor(kb, None).ingest_text("星河科技的总部位于临江市。", source="xinghe.txt", title="星河科技",
                                       user_id="u")
        retriever = HybridRetriever(kb)
        both = retriever.retrieve("星河科技的总部在哪里？", user_id="u")
        embedder.english_only = True
        chinese = retriever.retrieve("星河科技的总部在哪里？", user_id="u")
        english = retriever.retrieve("Where is the head office?", user_id="u")
    assert "dense" not in both.skipped and "dense" in chinese.skipped
    assert chinese.items and all("dense" not in item.signals for item in chinese.items)
    assert "dense" not in english.skipped
