"""Hybrid retrieval: dense vectors + BM25 keywords + a walk over the entity-chunk graph.

The graph signal follows HippoRAG's idea on a local scale: seeds are the entities named in
the query and the chunks the first two signals rank highest; a personalized PageRank over
the bipartite entity-chunk graph around them (chunk -> entities it mentions -> other
chunks mentioning those) ranks chunks that share specific entities with the seeds, which
finds the second hop of a multi-hop question. By default (``walk="topics"``) the walk goes
only through entities that are the topic of a document: a chunk that names what another
document is about links to it, like a hyperlink. Walking through every extracted entity
(``walk="all"``) adds noise that costs more than it finds (on HotpotQA, hybrid recall@5
0.805 with "all" against 0.865 with "topics"). Edges to an entity are weighted by how
specific it is (inverse log of how many chunks mention it); entities mentioned in more
than ``max_fanout`` chunks are too generic to walk through. The three rankings are fused
with reciprocal rank fusion (``weights`` scales a signal's share; equal by default: on
HotpotQA dev no weighting was clearly better); every result keeps its per-signal ranks and its
provenance. A top chunk seeds the walk only when dense and BM25 agree on it (both rank it in
their top ``seed_agreement``): a seed one signal alone puts first is too weak a start for a
second hop (HotpotQA dev recall@2/@5 .640/.880 -> .650/.880, test .620/.880 -> .630/.890).
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from graph.cjk import has_cjk
from graph.errors import BackendUnavailableError, InputError
from graph.knowledge import KnowledgeBase
from graph.types import Chunk, Document

Signal = Literal["dense", "bm25", "graph"]
Walk = Literal["topics", "all"]
SIGNALS: tuple[Signal, ...] = ("dense", "bm25", "graph")


@dataclass(frozen=True, slots=True)
class SignalHit:
    rank: int  # 1-based rank within that signal
    score: float  # the signal's own score (cosine, BM25, PageRank mass)


@dataclass(frozen=True, slots=True)
class RetrievedChunk:
    chunk: Chunk
    document: Document | None
    score: float  # fused reciprocal-rank score
    signals: dict[str, SignalHit] = field(default_factory=dict, hash=False)


@dataclass(frozen=True, slots=True)
class RetrievalResult:
    query: str
    items: tuple[RetrievedChunk, ...]
    query_entities: tuple[str, ...] = ()  # names of known entities found in the query
    timings_ms: dict[str, float] = field(default_factory=dict, hash=False)
    skipped: dict[str, str] = field(default_factory=dict, hash=False)  # signal -> why it was left out


Ranking = list[tuple[str, float]]  # (chunk id, score), best first


def reciprocal_rank_fusion(rankings: Sequence[Ranking], *, k: int = 60,
                           weights: Sequence[float] | None = None) -> Ranking:
    scores: dict[str, float] = {}
    for i, ranking in enumerate(rankings):
        weight = 1.0 if weights is None else weights[i]
        for rank, (item, _) in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))


def _check_signals(signals: Sequence[Signal]) -> tuple[Signal, ...]:
    unknown = set(signals) - set(SIGNALS)
    if unknown or not signals:
        raise InputError(f"Unknown retrieval signals {sorted(unknown)}; use some of {SIGNALS}.")
    return tuple(signals)


def personalized_pagerank(edges: Sequence[tuple[int, int, float]], reset: np.ndarray, *,
                          damping: float = 0.5, iterations: int = 30) -> np.ndarray:
    """PageRank with restarts to ``reset`` over an undirected weighted edge list."""
    if not edges:
        return reset.copy()
    a, b, w = (np.asarray(column) for column in zip(*edges, strict=True))
    src = np.concatenate([a, b]).astype(np.int64)
    dst = np.concatenate([b, a]).astype(np.int64)
    weight = np.concatenate([w, w]).astype(np.float64)
    out = np.bincount(src, weight, minlength=len(reset))
    share = weight / out[src]
    x = reset.copy()
    for _ in range(iterations):
        x = (1 - damping) * reset + damping * np.bincount(dst, x[src] * share, minlength=len(reset))
    return x


class HybridRetriever:
    def __init__(self, kb: KnowledgeBase, *, signals: Sequence[Signal] = SIGNALS,
                 candidates: int = 50, rrf_k: int = 60, seed_chunks: int = 3,
                 damping: float = 0.5, max_fanout: int = 200, walk: Walk = "topics",
                 weights: Mapping[str, float] | None = None, seed_agreement: int = 5) -> None:
        if walk not in ("topics", "all"):
            raise InputError(f"walk must be 'topics' or 'all', not {walk!r}.")
        weights = dict(weights or {})
        if set(weights) - set(SIGNALS) or any(not w >= 0 for w in weights.values()):
            raise InputError(f"weights must map some of {SIGNALS} to numbers >= 0, got {weights}.")
        self.weights = weights  # RRF weight per signal; 1.0 where not given
        self.kb = kb
        self.walk = walk
        self.signals = _check_signals(signals)
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.seed_chunks = seed_chunks
        self.damping = damping
        self.max_fanout = max_fanout
        # a fused top chunk seeds the walk only if two signals both rank it in their top N (0: any)
        self.seed_agreement = seed_agreement

    def retrieve(self, query: str, *, user_id: str, k: int = 5, collection: str | None = None,
                 signals: Sequence[Signal] | None = None,
                 keyword_query: str | None = None) -> RetrievalResult:
        """The ``k`` best chunks for ``query``; ``keyword_query``, when given, is what BM25
        searches for instead (the caller's keyword form of the query: stems added, say)."""
        if not isinstance(query, str) or not query.strip():
            raise InputError("The query is empty: ask something.")
        if k < 1:
            raise InputError(f"k is the number of results to return; it must be at least 1, got {k}.")
        signals = _check_signals(signals) if signals else self.signals
        timings: dict[str, float] = {}
        started = time.perf_counter()

        def timed(name: str, step: Callable[[], Ranking]) -> Ranking:
            t = time.perf_counter()
            out = step()
            timings[name] = (time.perf_counter() - t) * 1000
            return out

        rankings: dict[str, Ranking] = {}
        skipped: dict[str, str] = {}
        if "dense" in signals and has_cjk(query) and getattr(self.kb.embedder, "english_only", False):
            skipped["dense"] = "the embedder knows English only; a Chinese query is ranked by keywords"
        elif "dense" in signals:
            rankings["dense"] = timed("dense", lambda: self._dense(query, user_id, collection))
        if "bm25" in signals:
            rankings["bm25"] = timed("bm25", lambda: self._bm25(keyword_query or query, user_id, collection))
        query_entities: dict[str, str] = {}
        if "graph" in signals:
            # A graph store that is down (Neo4j) is left out when kb.degrade_graph is set, else raises.
            skip = self.kb.graph_skip_reason()
            try:
                if skip is None:
                    query_entities = self.kb.graph.find_mentions(user_id, query)
                    fused_top = self._fuse(rankings, list(rankings))[: self.seed_chunks]
                    seeds = self._confident(rankings, fused_top)
                    rankings["graph"] = timed("graph", lambda: self._in_collection(
                        user_id, self._graph(user_id, seeds, query_entities), collection))
            except BackendUnavailableError as exc:
                query_entities, skip = {}, self.kb.graph_unavailable(exc)
            if skip is not None:
                skipped["graph"] = skip
        fused = self._fuse(rankings, [s for s in signals if s in rankings])
        items = self._items(user_id, fused, rankings, k, collection)
        timings["total"] = (time.perf_counter() - started) * 1000
        return RetrievalResult(query, items, tuple(query_entities.values()), timings, skipped)

    def _confident(self, rankings: dict[str, Ranking], seeds: Ranking) -> Ranking:
        """The seeds the signals agree on (each in the top ``seed_agreement`` of two of them); all
        of them when the gate is off or only one signal ranked."""
        if not self.seed_agreement or len(rankings) < 2:
            return seeds
        tops = [{chunk_id for chunk_id, _ in ranking[: self.seed_agreement]}
                for ranking in rankings.values()]
        return [seed for seed in seeds if sum(seed[0] in top for top in tops) >= 2]

    def _fuse(self, rankings: dict[str, Ranking], names: Sequence[str]) -> Ranking:
        return reciprocal_rank_fusion([rankings[n] for n in names], k=self.rrf_k,
                                      weights=[self.weights.get(n, 1.0) for n in names])

    def _dense(self, query: str, user_id: str, collection: str | None) -> Ranking:
        index = self.kb.vectors(user_id)
        allowed = self.kb.documents.chunk_rowids(user_id, collection=collection) if collection else None
        hits = index.search(self.kb.embed([query])[0], self.candidates, allowed_ids=allowed)
        chunks = self.kb.documents.chunks_by_rowid(user_id, [hit.id for hit in hits])
        return [(chunks[hit.id].id, hit.score) for hit in hits if hit.id in chunks]

    def _bm25(self, query: str, user_id: str, collection: str | None) -> Ranking:
        hits = self.kb.keywords.search(user_id, query, limit=self.candidates, collection=collection)
        return [(hit.chunk_id, hit.score) for hit in hits]

    def _graph(self, user_id: str, seeds: Ranking, query_entities: dict[str, str]) -> Ranking:
        graph = self.kb.graph
        seed_ids = [chunk_id for chunk_id, _ in seeds]
        topics_only = self.walk == "topics"
        entities = {e for e, _ in graph.mentions(user_id, source_ids=seed_ids, topics_only=topics_only)}
        entities |= set(query_entities)
        if not entities:
            return []
        pairs = graph.mentions(user_id, entity_ids=entities, topics_only=topics_only,
                               max_per_entity=self.max_fanout)
        fanout = Counter(entity for entity, _ in pairs)
        nodes: dict[str, int] = {}
        for name in [*seed_ids, *(s for _, s in pairs), *(f"entity:{e}" for e, _ in pairs)]:
            nodes.setdefault(name, len(nodes))
        edges = [(nodes[s], nodes[f"entity:{e}"], 1.0 / math.log(1 + max(fanout[e], 2)))
                 for e, s in pairs]
        reset = np.zeros(len(nodes))
        for rank, chunk_id in enumerate(seed_ids, start=1):
            reset[nodes[chunk_id]] += 1.0 / rank
        for entity in query_entities:
            if f"entity:{entity}" in nodes:
                reset[nodes[f"entity:{entity}"]] += 1.0
        reset /= reset.sum()
        mass = personalized_pagerank(edges, reset, damping=self.damping)
        ranked = sorted(((name, float(mass[i])) for name, i in nodes.items()
                         if not name.startswith("entity:") and mass[i] > 0),
                        key=lambda pair: (-pair[1], pair[0]))
        return ranked[: self.candidates]

    def _in_collection(self, user_id: str, ranking: Ranking, collection: str | None) -> Ranking:
        """The walk crosses collections; its ranking must not, or it crowds out the collection."""
        if collection is None or not ranking:
            return ranking
        kept = {c.id for c in self.kb.documents.get_chunks(user_id, [cid for cid, _ in ranking])
                if c.collection == collection}
        return [(cid, score) for cid, score in ranking if cid in kept]

    def _items(self, user_id: str, fused: Ranking, rankings: dict[str, Ranking], k: int,
               collection: str | None) -> tuple[RetrievedChunk, ...]:
        ranks = {name: {cid: (rank, score) for rank, (cid, score) in enumerate(ranking, start=1)}
                 for name, ranking in rankings.items()}
        wanted = [cid for cid, _ in fused[: max(k * 4, k + 10)]]
        chunks = {c.id: c for c in self.kb.documents.get_chunks(user_id, wanted)
                  if collection is None or c.collection == collection}
        documents: dict[str, Document | None] = {}
        items = []
        for chunk_id, score in fused:
            chunk = chunks.get(chunk_id)
            if chunk is None:
                continue
            if chunk.document_id not in documents:
                documents[chunk.document_id] = self.kb.documents.get_document(user_id, chunk.document_id)
            signals = {name: SignalHit(*found[chunk_id]) for name, found in ranks.items()
                       if chunk_id in found}
            items.append(RetrievedChunk(chunk, documents[chunk.document_id], score, signals))
            if len(items) == k:
                break
        return tuple(items)
