"""Retrieval quality on HotpotQA: supporting-passage recall@2 and @5 per signal mix.

Each of the corpus's passages is ingested as one document (title = passage title) through
the real pipeline (chunking, MiniLM embeddings, fast entity extraction, dictionary
linking). Each question is asked of four retrievers side by side in one run - dense only,
BM25 only, dense+BM25, dense+BM25+graph - and a question's recall@k is the share of its
gold (supporting) passages among the first k distinct passages retrieved.

    python benchmarks/retrieval_quality.py --data ../shared/data/hotpotqa
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.common import describe_machine, fmt, machine_info, table, write_results  # noqa: E402

VARIANTS: dict[str, tuple[str, ...]] = {
    "dense": ("dense",),
    "bm25": ("bm25",),
    "dense+bm25": ("dense", "bm25"),
    "dense+bm25+graph": ("dense", "bm25", "graph"),
}
USER = "hotpotqa"


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

    retriever = HybridRetriever(kb, seed_chunks=args.seeds, damping=args.damping, walk=args.walk)
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


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "hotpotqa")
    parser.add_argument("--embedder", default="sentence-transformers", help="sentence-transformers | hash")
    parser.add_argument("--extractor", default="fast", help="fast | none")
    parser.add_argument("--questions", type=int, default=None, help="only the first N questions")
    parser.add_argument("--seeds", type=int, default=3, help="graph walk: seed chunks")
    parser.add_argument("--damping", type=float, default=0.5, help="graph walk: PageRank damping")
    parser.add_argument("--walk", default="topics", help="graph walk through: topics | all entities")
    parser.add_argument("--store", type=Path, default=None,
                        help="reuse (or create) the knowledge base in this folder")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    corpus, questions = load(args.data, args.questions)
    info = machine_info(["sentence-transformers", "faiss-cpu", "spacy"])
    with tempfile.TemporaryDirectory() as tmp:
        store = args.store or Path(tmp)
        kb, ingest_s = build(corpus, store, args)
        try:
            results = evaluate(kb, questions, args)
        finally:
            kb.close()
    dense5 = results["dense"]["recall@5"]
    hybrid5 = results["dense+bm25+graph"]["recall@5"]
    rows = [[variant, fmt(r["recall@2"], 3), fmt(r["recall@5"], 3),
             fmt((r["recall@5"] - dense5) * 100, 1), fmt(r["p50_ms"], 1)]
            for variant, r in results.items()]
    print("\n".join(describe_machine(info)))
    print(f"data: {args.data} ({len(corpus)} passages, {len(questions)} questions); embedder "
          f"{args.embedder}; extractor {args.extractor}; graph seeds {args.seeds}, damping {args.damping}, "
          f"walk {args.walk}; ingest {ingest_s:.0f} s")
    print(table(["retriever", "recall@2", "recall@5", "Δ@5 vs dense (pts)", "p50 ms"], rows))
    gain = (hybrid5 - dense5) * 100
    verdict = "PASS" if gain >= 5 else "FAIL"
    print(f"target: full hybrid beats dense-only recall@5 by >= 5 points: {gain:+.1f} -> {verdict}")
    write_results("retrieval_quality", {"machine": info, "args": {k: str(v) for k, v in vars(args).items()},
                                        "ingest_seconds": ingest_s, "results": results})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
