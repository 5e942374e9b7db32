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
"""

from __future__ import annotations

import argparse
import json
import math
import re
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
    describe_machine,
    fmt,
    machine_info,
    set_threads,
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
    return _WORD.findall(text.lower())


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
                scores[name][k].append(len(gold & set(top[:k])) / len(gold))
    return {name: {"recall@2": sum(scores[name][2]) / len(questions),
                   "recall@5": sum(scores[name][5]) / len(questions), "p50_ms": None}
            for name in BASELINES}


def load(data: Path, limit: int | None) -> tuple[dict[str, list[str]], list[dict[str, Any]]]:
    corpus_file, questions_file = data / "hotpotqa_train_corpus.json", data / "hotpotqa_train.json"
    for path in (corpus_file, questions_file):
        if not path.is_file():
            raise SystemExit(f"{path} not found: pass --data pointing at the hotpotqa folder.")
    corpus = json.loads(corpus_file.read_text())
    questions = json.loads(questions_file.read_text())
    return corpus, questions[:limit] if limit else questions


def build(corpus: dict[str, list[str]], data_dir: Path, args: argparse.Namespace):
    from graph.embedding import create_embedder
    from graph.extract import create_extractor
    from graph.ingest import Ingestor
    from graph.knowledge import KnowledgeBase

    kb = KnowledgeBase(data_dir, create_embedder(args.embedder))
    kb.open()
    extractor = None if args.extractor == "none" else create_extractor(args.extractor)
    ingestor = Ingestor(kb, extractor)
    started = time.perf_counter()
    for i, (title, sentences) in enumerate(corpus.items(), start=1):
        ingestor.ingest_text("".join(sentences), user_id=USER, source=f"hotpotqa:{title}", title=title)
        if i % 100 == 0:
            print(f"  ingested {i}/{len(corpus)} passages", file=sys.stderr)
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


def evaluate(kb, questions: list[dict[str, Any]], args: argparse.Namespace) -> dict[str, Any]:
    from graph.retrieve import HybridRetriever

    retriever = HybridRetriever(kb, seed_chunks=args.seeds, damping=args.damping, walk=args.walk,
                                candidates=args.candidates, weights=parse_weights(args.weights))
    scores: dict[str, dict[int, list[float]]] = {v: {2: [], 5: []} for v in VARIANTS}
    latency: dict[str, list[float]] = {v: [] for v in VARIANTS}
    for question in questions:
        gold = {title for title, _ in question["supporting_facts"]}
        for variant, signals in VARIANTS.items():
            result = retriever.retrieve(question["question"], user_id=USER, k=20, signals=signals)
            latency[variant].append(result.timings_ms["total"])
            titles = distinct_titles(result, 5)
            for k in (2, 5):
                scores[variant][k].append(len(gold & set(titles[:k])) / len(gold))
    return {variant: {
        "recall@2": sum(scores[variant][2]) / len(questions),
        "recall@5": sum(scores[variant][5]) / len(questions),
        "p50_ms": sorted(latency[variant])[len(questions) // 2],
    } for variant in VARIANTS}


def parse_weights(text: str) -> dict[str, float]:
    """'dense=1,bm25=0.5' -> {'dense': 1.0, 'bm25': 0.5}; '' -> {} (equal weights)."""
    pairs = [part.split("=", 1) for part in text.split(",") if part.strip()]
    return {name.strip(): float(value) for name, value in pairs}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "hotpotqa")
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
    parser.add_argument("--weights", default="", help="RRF weight per signal, e.g. dense=1,bm25=0.5,graph=1")
    parser.add_argument("--store", type=Path, default=None,
                        help="reuse (or create) the knowledge base in this folder")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    set_threads(args.threads)
    corpus, questions = load(args.data, args.questions)
    questions = split_questions(questions, args.split)
    info = machine_info(["sentence-transformers", "faiss-cpu", "spacy"])
    with tempfile.TemporaryDirectory() as tmp:
        store = args.store or Path(tmp)
        kb, ingest_s = build(corpus, store, args)
        try:
            results = evaluate(kb, questions, args)
            if not args.no_baselines:
                results.update(evaluate_baselines(corpus, questions, kb.embedder, args.store))
        finally:
            kb.close()
    dense5 = results["dense"]["recall@5"]
    hybrid5 = results["dense+bm25+graph"]["recall@5"]
    rows = [[variant, fmt(r["recall@2"], 3), fmt(r["recall@5"], 3),
             fmt((r["recall@5"] - dense5) * 100, 1), fmt(r["p50_ms"], 1) if r["p50_ms"] is not None else "-"]
            for variant, r in results.items()]
    print("\n".join(describe_machine(info)))
    print(f"data: {args.data} ({len(corpus)} passages, {len(questions)} questions, "
          f"split {args.split}); embedder "
          f"{args.embedder}; extractor {args.extractor}; graph seeds {args.seeds}, damping {args.damping}, "
          f"walk {args.walk}; candidates {args.candidates}; weights {args.weights or 'equal'}; "
          f"ingest {ingest_s:.0f} s")
    print(table(["retriever", "recall@2", "recall@5", "Δ@5 vs dense (pts)", "p50 ms"], rows))
    gain = (hybrid5 - dense5) * 100
    verdict = "PASS" if gain >= 5 else "FAIL"
    print(f"target: full hybrid beats dense-only recall@5 by >= 5 points: {gain:+.1f} -> {verdict}")
    name = "retrieval_quality" if args.split == "all" else f"retrieval_quality_{args.split}"
    write_results(name, {"machine": info, "args": {k: str(v) for k, v in vars(args).items()},
                                        "ingest_seconds": ingest_s, "results": results})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
