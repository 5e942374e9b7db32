"""Retrieval quality on HotpotQA: supporting-passage recall@2 and @5 per signal mix.

Each of the corpus's passages is ingested as one document (title = passage title) through
the real pipeline (chunking, MiniLM embeddings, fast entity extraction, dictionary
linking). Each question is asked of four retrievers side by side in one run - dense only,
BM25 only, dense+BM25, dense+BM25+graph - and a question's recall@k is the share of its
gold (supporting) passages among the first k distinct passages retrieved.

Beside congming's four rankings it prints plain baselines over the same passages, each
passage whole (title + text): exact-cosine dense with the same embedder, textbook BM25
(k1 1.5, b 0.75, lower-cased word tokens) and plain RRF (k 60) of the two. ``--split``
picks the questions: ``dev`` the odd positions (1st, 3rd, ...), ``test`` the even ones,
so a setting chosen on dev is reported on questions it was not chosen on.

    python benchmarks/retrieval_quality.py --data ../shared/data/hotpotqa --split dev

``--graph-backend sqlite|neo4j|both`` picks the graph store the way the agent does
(``agent.components``, ``graph.backend``); ``both`` ingests the same passages into each and
asks every question of both, alternating, and prints them side by side (Neo4j: NEO4J_URI).

    NEO4J_URI=bolt://127.0.0.1:7687 python benchmarks/retrieval_quality.py --graph-backend both
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.common import (  # noqa: E402
    add_graph_backend_arguments,
    benchmark_settings,
    describe_machine,
    fmt,
    graph_backends,
    machine_info,
    open_benchmark_kb,
    percentile,
    set_threads,
    side_by_side,
    table,
    write_results,
)

VARIANTS: dict[str, tuple[str, ...]] = {
    "dense": ("dense",),
    "bm25": ("bm25",),
    "dense+bm25": ("dense", "bm25"),
    "dense+bm25+graph": ("dense", "bm25", "graph"),
}
BASELINES = ("plain dense", "plain bm25", "plain rrf")
USER = "hotpotqa"
SPLITS = ("dev", "test", "all")


def split_questions(questions: list[dict[str, Any]], split: str) -> list[dict[str, Any]]:
    """dev: the 1st, 3rd, 5th ... question; test: the 2nd, 4th ...; all: every one."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    return questions if split == "all" else questions[0 if split == "dev" else 1::2]


# ---- plain baselines over whole passages ------------------------------------------------
_WORD = re.compile(r"\w+")


def word_tokens(text: str) -> list[str]:
    """Lower-cased word tokens; Chinese runs cut into words by jieba."""
    from graph.cjk import has_cjk

    words = _WORD.findall(text.lower())
    if not any(has_cjk(w) for w in words):
        return words
    import jieba

    return [t for w in words for t in (jieba.lcut(w) if has_cjk(w) else [w]) if t.strip()]


class PlainBM25:
    """Okapi BM25 over whole documents (k1 1.5, b 0.75, idf log(1 + (N - df + .5) / (df + .5)))."""

    def __init__(self, docs: list[str], *, k1: float = 1.5, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.tfs = [Counter(word_tokens(d)) for d in docs]
        self.lengths = [sum(tf.values()) for tf in self.tfs]
        self.avgdl = (sum(self.lengths) / len(docs)) if docs else 0.0
        df = Counter(t for tf in self.tfs for t in tf)
        n = len(docs)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        self.postings: dict[str, list[int]] = {}
        for i, tf in enumerate(self.tfs):
            for t in tf:
                self.postings.setdefault(t, []).append(i)

    def rank(self, query: str, limit: int = 100) -> list[tuple[int, float]]:
        scores: dict[int, float] = {}
        for t in set(word_tokens(query)):
            idf = self.idf.get(t)
            if idf is None:
                continue
            for i in self.postings[t]:
                f = self.tfs[i][t]
                norm = self.k1 * (1 - self.b + self.b * self.lengths[i] / self.avgdl)
                scores[i] = scores.get(i, 0.0) + idf * f * (self.k1 + 1) / (f + norm)
        return sorted(scores.items(), key=lambda p: (-p[1], p[0]))[:limit]


def plain_dense_rank(passages: np.ndarray, query: np.ndarray, limit: int = 100) -> list[tuple[int, float]]:
    """Exact cosine (vectors are unit length) over every passage."""
    scores = passages @ query
    top = np.argsort(-scores, kind="stable")[:limit]
    return [(int(i), float(scores[i])) for i in top]


def plain_rrf(rankings: list[list[tuple[int, float]]], k: int = 60) -> list[tuple[int, float]]:
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, (item, _) in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1 / (k + rank)
    return sorted(scores.items(), key=lambda p: (-p[1], p[0]))


def passage_texts(corpus: dict[str, list[str]]) -> list[str]:
    return [f"{title}\n{''.join(sentences)}" for title, sentences in corpus.items()]


def evaluate_baselines(corpus: dict[str, list[str]], questions: list[dict[str, Any]], embedder: Any,
                       cache: Path | None = None) -> dict[str, Any]:
    titles, texts = list(corpus), passage_texts(corpus)
    cached = cache / f"plain_dense_{embedder.name.replace('/', '_')}_{len(texts)}.npy" if cache else None
    if cached is not None and cached.is_file():
        vectors = np.load(cached)
    else:
        vectors = embedder.embed(texts)
        if cached is not None:
            np.save(cached, vectors)
    bm25 = PlainBM25(texts)
    queries = embedder.embed([q["question"] for q in questions])
    scores: dict[str, dict[int, list[float]]] = {v: {2: [], 5: []} for v in BASELINES}
    for question, qv in zip(questions, queries, strict=True):
        gold = {title for title, _ in question["supporting_facts"]}
        dense = plain_dense_rank(vectors, qv)
        sparse = bm25.rank(question["question"])
        for name, ranking in (("plain dense", dense), ("plain bm25", sparse),
                              ("plain rrf", plain_rrf([dense, sparse]))):
            top = [titles[i] for i, _ in ranking[:5]]
            for k in (2, 5):
                scores[name][k].append(len(gold & set(top[:k])) / min(len(gold), k))
    return {name: {"recall@2": sum(scores[name][2]) / len(questions),
                   "recall@5": sum(scores[name][5]) / len(questions), "p50_ms": None}
            for name in BASELINES}


def load_rgb(data: Path, limit: int | None) -> tuple[dict[str, list[str]], list[dict[str, Any]]]:
    """RGB zh as a Chinese retrieval set: every positive and negative passage of the items after
    the first RGB_DEV (those tuned the relevance gate) is one passage; a query's gold passages
    are its positives."""
    from benchmarks.grounding import RGB_DEV, load_jsonl

    rows = load_jsonl(data / "zh_refine_dev.jsonl")[RGB_DEV:]
    rows = [r for r in rows if r["positive"]][:limit]
    corpus: dict[str, list[str]] = {}
    questions = []
    for row in rows:
        gold = []
        for kind in ("positive", "negative"):
            for i, text in enumerate(row[kind]):
                title = f"rgb-{row['id']}-{kind[:3]}{i}"
                corpus[title] = [text]
                if kind == "positive":
                    gold.append([title, 0])
        questions.append({"question": row["query"], "supporting_facts": gold})
    return corpus, questions


def load(data: Path, limit: int | None) -> tuple[dict[str, list[str]], list[dict[str, Any]]]:
    if (data / "zh_refine_dev.jsonl").is_file():
        return load_rgb(data, limit)
    corpus_file, questions_file = data / "hotpotqa_train_corpus.json", data / "hotpotqa_train.json"
    for path in (corpus_file, questions_file):
        if not path.is_file():
            raise SystemExit(f"{path} not found: pass --data pointing at the hotpotqa folder.")
    corpus = json.loads(corpus_file.read_text())
    questions = json.loads(questions_file.read_text())
    return corpus, questions[:limit] if limit else questions


def build(corpus: dict[str, list[str]], data_dir: Path, args: argparse.Namespace,
          backend: str = "sqlite", embedder: Any = None):
    """Ingest every passage into a knowledge base in ``data_dir`` whose graph lives on
    ``backend``, built from settings as the agent builds it; returns it (open) and the seconds."""
    from graph.embedding import create_embedder
    from graph.extract import create_extractor
    from graph.ingest import Ingestor

    settings = benchmark_settings(data_dir, backend, neo4j_uri=args.neo4j_uri,
                                  native_indexes=args.neo4j_native_indexes)
    embedder = embedder or create_embedder(args.embedder)
    kb = open_benchmark_kb(settings, embedder, USER)
    extractor = None if args.extractor == "none" else create_extractor(args.extractor)
    ingestor = Ingestor(kb, extractor)
    started = time.perf_counter()
    for i, (title, sentences) in enumerate(corpus.items(), start=1):
        ingestor.ingest_text("".join(sentences), user_id=USER, source=f"hotpotqa:{title}", title=title)
        if i % 100 == 0:
            print(f"  {backend}: ingested {i}/{len(corpus)} passages", file=sys.stderr)
    kb.save()
    return kb, time.perf_counter() - started


def distinct_titles(result, k: int) -> list[str]:
    titles: list[str] = []
    for item in result.items:
        title = item.document.title if item.document else ""
        if title not in titles:
            titles.append(title)
        if len(titles) == k:
            break
    return titles


def evaluate(kbs: dict[str, Any], questions: list[dict[str, Any]],
             args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """Every question of every retriever on every backend; the backends take turns per question
    (rotating which goes first) so that load on the machine falls on each alike."""
    from graph.retrieve import HybridRetriever

    retrievers = {backend: HybridRetriever(kb, seed_chunks=args.seeds, damping=args.damping,
                                           walk=args.walk, candidates=args.candidates,
                                           weights=parse_weights(args.weights),
                                           seed_agreement=args.seed_agreement)
                  for backend, kb in kbs.items()}
    backends = list(kbs)
    scores = {b: {v: {2: [], 5: []} for v in VARIANTS} for b in backends}
    latency: dict[str, dict[str, list[float]]] = {b: {v: [] for v in VARIANTS} for b in backends}
    for n, question in enumerate(questions):
        gold = {title for title, _ in question["supporting_facts"]}
        for backend in backends[n % len(backends):] + backends[:n % len(backends)]:
            for variant, signals in VARIANTS.items():
                result = retrievers[backend].retrieve(question["question"], user_id=USER, k=20,
                                                      signals=signals)
                latency[backend][variant].append(result.timings_ms["total"])
                titles = distinct_titles(result, 5)
                for k in (2, 5):  # of the gold passages that fit in k (RGB has up to 10 per query)
                    scores[backend][variant][k].append(len(gold & set(titles[:k])) / min(len(gold), k))
    return {backend: {variant: {
        "recall@2": sum(scores[backend][variant][2]) / len(questions),
        "recall@5": sum(scores[backend][variant][5]) / len(questions),
        "p50_ms": percentile(latency[backend][variant], 50),
        "p95_ms": percentile(latency[backend][variant], 95),
    } for variant in VARIANTS} for backend in backends}


def parse_weights(text: str) -> dict[str, float]:
    """'dense=1,bm25=0.5' -> {'dense': 1.0, 'bm25': 0.5}; '' -> {} (equal weights)."""
    pairs = [part.split("=", 1) for part in text.split(",") if part.strip()]
    return {name.strip(): float(value) for name, value in pairs}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "hotpotqa",
                        help="the hotpotqa folder, or the rgb folder for Chinese retrieval (RGB zh)")
    parser.add_argument("--embedder", default="sentence-transformers", help="sentence-transformers | hash")
    parser.add_argument("--extractor", default="fast", help="fast | none")
    parser.add_argument("--questions", type=int, default=None, help="only the first N questions")
    parser.add_argument("--split", choices=SPLITS, default="all",
                        help="dev: odd positions (1st, 3rd ...), test: even positions, all: every question")
    parser.add_argument("--threads", type=int, default=1, help="torch, BLAS and FAISS threads")
    parser.add_argument("--no-baselines", action="store_true", help="skip the plain baselines")
    parser.add_argument("--seeds", type=int, default=3, help="graph walk: seed chunks")
    parser.add_argument("--damping", type=float, default=0.5, help="graph walk: PageRank damping")
    parser.add_argument("--walk", default="topics", help="graph walk through: topics | all entities")
    parser.add_argument("--candidates", type=int, default=50, help="chunks each signal ranks before fusion")
    parser.add_argument("--seed-agreement", type=int, default=5,
                        help="graph walk: seed only with top chunks two signals both rank in their top N")
    parser.add_argument("--weights", default="", help="RRF weight per signal, e.g. dense=1,bm25=0.5,graph=1")
    parser.add_argument("--store", type=Path, default=None,
                        help="reuse (or create) the knowledge base in this folder (a Neo4j "
                             "backend always starts fresh, in <store>/neo4j)")
    add_graph_backend_arguments(parser)
    return parser.parse_args(argv)


def store_dir(base: Path, backend: str, backends: list[str]) -> Path:
    """Where ``backend``'s knowledge base lives: ``base`` itself for a lone SQLite run (as
    before), else ``base/<backend>``; a Neo4j run's folder is emptied (its graph is cleared too)."""
    if backends == ["sqlite"]:
        return base
    folder = base / backend
    if backend == "neo4j":
        shutil.rmtree(folder, ignore_errors=True)
    return folder


def main(argv: list[str] | None = None) -> int:
    from graph.embedding import create_embedder

    args = parse_args(argv)
    set_threads(args.threads)
    corpus, questions = load(args.data, args.questions)
    questions = split_questions(questions, args.split)
    backends = graph_backends(args.graph_backend)
    info = machine_info(["sentence-transformers", "faiss-cpu", "spacy", "neo4j"])
    ingest_s: dict[str, float] = {}
    kbs: dict[str, Any] = {}
    embedder = create_embedder(args.embedder)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            for backend in backends:
                base = args.store or Path(tmp)
                kbs[backend], ingest_s[backend] = build(corpus, store_dir(base, backend, backends),
                                                        args, backend, embedder)
            by_backend = evaluate(kbs, questions, args)
            baselines = {}
            if not args.no_baselines:
                baselines = evaluate_baselines(corpus, questions, embedder, args.store)
        finally:
            for kb in kbs.values():
                kb.close()
    print("\n".join(describe_machine(info)))
    print(f"data: {args.data} ({len(corpus)} passages, {len(questions)} questions, "
          f"split {args.split}); embedder "
          f"{args.embedder}; extractor {args.extractor}; graph seeds {args.seeds}, damping {args.damping}, "
          f"walk {args.walk}; candidates {args.candidates}; weights {args.weights or 'equal'}; "
          f"graph backend {' vs '.join(backends)}"
          + ("; Neo4j native vector + full-text indexes" if args.neo4j_native_indexes else "")
          + "; ingest " + ", ".join(f"{b} {s:.1f} s" for b, s in ingest_s.items()))
    gains = {}
    for backend, results in by_backend.items():
        dense5 = results["dense"]["recall@5"]
        rows = [[variant, fmt(r["recall@2"], 3), fmt(r["recall@5"], 3),
                 fmt((r["recall@5"] - dense5) * 100, 1), fmt(r["p50_ms"], 1), fmt(r["p95_ms"], 1)]
                for variant, r in results.items()]
        rows += [[name, fmt(r["recall@2"], 3), fmt(r["recall@5"], 3),
                  fmt((r["recall@5"] - dense5) * 100, 1), "-", "-"] for name, r in baselines.items()]
        if len(backends) > 1:
            print(f"\ngraph backend: {backend}")
        print(table(["retriever", "recall@2", "recall@5", "Δ@5 vs dense (pts)", "p50 ms", "p95 ms"],
                    rows))
        gains[backend] = (results["dense+bm25+graph"]["recall@5"] - dense5) * 100
    for backend, gain in gains.items():
        verdict = "PASS" if gain >= 5 else "FAIL"
        print(f"target ({backend}): full hybrid beats dense-only recall@5 by >= 5 points: "
              f"{gain:+.1f} -> {verdict}")
    parity = None
    if len(backends) == 2:
        parity = backend_comparison(by_backend, ingest_s)
    suffix = "" if backends == ["sqlite"] else f"_{args.graph_backend}"
    name = ("retrieval_quality" if args.split == "all" else f"retrieval_quality_{args.split}") + suffix
    if backends == ["sqlite"]:  # the file's shape as before
        data = {"ingest_seconds": ingest_s["sqlite"], "results": {**by_backend["sqlite"], **baselines}}
    else:
        data = {"ingest_seconds": ingest_s, "results": by_backend, "baselines": baselines,
                "parity": parity}
    write_results(name, {"machine": info, "args": {k: str(v) for k, v in vars(args).items()}, **data})
    return 0


def backend_comparison(by_backend: dict[str, dict[str, Any]], ingest_s: dict[str, float]) -> dict:
    """Print sqlite vs neo4j side by side; returns the recall gaps (points) per retriever."""
    backends = list(by_backend)
    rows = {b: [[variant, r["recall@2"], r["recall@5"], r["p50_ms"], r["p95_ms"]]
                for variant, r in by_backend[b].items()] for b in backends}
    print(f"\nside by side ({' vs '.join(backends)}; same passages and questions, backends "
          f"alternating per question); ingest s: "
          + ", ".join(f"{b} {ingest_s[b]:.1f}" for b in backends)
          + f" ({ingest_s[backends[1]] / ingest_s[backends[0]]:.2f}x)")
    print(side_by_side(rows, 1, ["recall@2", "recall@5", "p50 ms", "p95 ms"], ["retriever"],
                       ratio_columns=(2, 3), digits=(3, 3, 1, 1)))
    gaps = {variant: max(abs(by_backend[backends[0]][variant][m] - by_backend[backends[1]][variant][m])
                         for m in ("recall@2", "recall@5")) * 100 for variant in VARIANTS}
    worst = max(gaps.values())
    print(f"target: recall@2/@5 of every retriever within 1 point across backends: worst gap "
          f"{worst:.1f} pts -> {'PASS' if worst <= 1.0 else 'FAIL'}")
    return {"gap_points": gaps, "pass": worst <= 1.0}


if __name__ == "__main__":
    raise SystemExit(main())
