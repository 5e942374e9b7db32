"""Retrieval speed: ingest throughput, hybrid query latency and re-ingest cost by corpus size.

For each size a synthetic corpus (benchmarks/synthetic_corpus.py: seeded English and Chinese
news items and profiles whose people, places, organisations and events recur with Zipf-like
frequencies) is written as .txt/.md files and ingested with the real ``Ingestor.ingest_files``
(loading, chunking, embedding, extraction, SQLite, FAISS) into a fresh knowledge base. The
same folder is then ingested again, unchanged, by a freshly opened knowledge base, as a
second ``congming ingest`` run would. Then a fixed set of queries (entity names and
questions, English and Chinese) runs after a warm-up, each through the hybrid retriever and
through each signal alone, in rotating order. Run from the repository root:

    python benchmarks/retrieval_speed.py --sizes 10000,100000 --embedder minilm,hash \
        --extractor fast,none

``--embedder``/``--extractor`` take one value, or one per size. ``hash`` stores 384-dim
feature-hashing vectors (MiniLM's dimension, so FAISS does the same work) to build a large
store quickly; queries are still embedded with MiniLM then (``--query-embedder minilm``),
so the latency includes the real query encoder, while dense relevance is meaningless.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import (
    RESULTS_DIR,
    describe_machine,
    fmt,
    machine_info,
    peak_rss_mib,
    percentile,
    set_threads,
    table,
    write_results,
)
from benchmarks.synthetic_corpus import CorpusGenerator

ROOT = Path(__file__).resolve().parent.parent
USER = "bench"
VARIANTS: dict[str, tuple[str, ...]] = {"hybrid": ("dense", "bm25", "graph"), "dense": ("dense",),
                                        "bm25": ("bm25",), "graph": ("graph",)}
PACKAGES = ("torch", "sentence-transformers", "faiss-cpu", "spacy", "jieba")
P95_TARGET_MS, P95_TARGET_SIZE = 50.0, 100_000
REINGEST_TARGET = 0.05


class TimedEmbedder:
    """Passes through to an embedder and remembers how long the last call took."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.name, self.last_ms = inner, inner.name, 0.0

    @property
    def dim(self) -> int:
        return self.inner.dim

    def embed(self, texts):
        started = time.perf_counter()
        out = self.inner.embed(texts)
        self.last_ms = (time.perf_counter() - started) * 1000
        return out


def make_embedder(name: str) -> Any:
    from graph.embedding import HashEmbedder, SentenceTransformerEmbedder

    if name == "hash":
        return HashEmbedder(dim=384)
    embedder = SentenceTransformerEmbedder()
    embedder.open()
    return embedder


def make_extractor(name: str) -> Any:
    from graph.keyword import tokenize

    tokenize("北京")  # jieba's dictionary loads once per process, with or without an extractor
    if name == "none":
        return None
    from graph.extract import create_extractor

    extractor = create_extractor(name)
    extractor.extract("Maria Okafor joined Northwind Labs in Paris. 王伟在北京的华信科技公司工作。")
    return extractor


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages: other work on the machine skews the timings."""
    return [round(x, 2) for x in os.getloadavg()]


def progress(total_docs: int, label: str):
    started, seen = time.perf_counter(), {"docs": 0, "chunks": 0}

    def on_file(outcome) -> None:
        seen["docs"] += 1
        seen["chunks"] += outcome.chunks
        if seen["docs"] % 500 == 0 or seen["docs"] == total_docs:
            elapsed = time.perf_counter() - started
            print(f"  {label}: {seen['docs']}/{total_docs} files, {seen['chunks']} chunks, "
                  f"{elapsed:.0f} s, {seen['chunks'] / elapsed:.1f} chunks/s", file=sys.stderr, flush=True)
    return on_file


def ingest(folder: Path, store: Path, embedder: Any, extractor: Any, docs: int, label: str,
           hnsw_threshold: int) -> tuple[Any, dict[str, Any]]:
    """Ingest ``folder`` into a knowledge base at ``store``; returns it (open) and the numbers."""
    from graph.ingest import Ingestor
    from graph.knowledge import KnowledgeBase

    kb = KnowledgeBase(store, embedder, hnsw_threshold=hnsw_threshold)
    started = time.perf_counter()
    kb.open()
    report = Ingestor(kb, extractor).ingest_files([folder], user_id=USER,
                                                  on_file=progress(docs, label))
    seconds = time.perf_counter() - started
    failed = [o.error for o in report.failed]
    return kb, {"seconds": seconds, "load_average_after": load_average(),
                "documents": len(report.outcomes), "chunks": report.chunks,
                "added": report.count("added"), "unchanged": report.count("unchanged"),
                "failed": len(failed), "first_errors": failed[:3],
                "chunks_per_s": report.chunks / seconds, "docs_per_s": len(report.outcomes) / seconds}


def store_stats(kb: Any) -> dict[str, Any]:
    index = kb.vectors(USER)
    graph = kb.graph.stats(USER)
    files = [p for p in kb.data_dir.rglob("*") if p.is_file()]
    return {"index_kind": index.kind, "vectors": len(index), "entities": graph.entities,
            "relations": graph.relations, "store_mib": round(sum(p.stat().st_size for p in files) / 2**20, 1)}


def measure_queries(kb: Any, queries: list[tuple[str, str]], warmup: int) -> dict[str, Any]:
    from graph.retrieve import HybridRetriever

    retriever = HybridRetriever(kb)
    embedder = kb.embedder
    names = list(VARIANTS)
    for _, query in queries[:warmup]:
        for variant in names:
            retriever.retrieve(query, user_id=USER, signals=VARIANTS[variant])
    samples: dict[str, list[dict[str, float]]] = {v: [] for v in names}
    for i, (_, query) in enumerate(queries):
        for variant in names[i % len(names):] + names[: i % len(names)]:  # rotate the order
            started = time.perf_counter()
            result = retriever.retrieve(query, user_id=USER, signals=VARIANTS[variant])
            wall = (time.perf_counter() - started) * 1000
            timings = dict(result.timings_ms, wall=wall, results=len(result.items))
            if "dense" in VARIANTS[variant]:
                timings["query_embed"] = embedder.last_ms
            timings["other"] = timings["total"] - sum(timings.get(s, 0.0) for s in VARIANTS["hybrid"])
            samples[variant].append(timings)
    return {variant: summarize(rows) for variant, rows in samples.items()}


def summarize(rows: list[dict[str, float]]) -> dict[str, Any]:
    keys = sorted({key for row in rows for key in row})
    out = {key: {"p50": percentile([r[key] for r in rows if key in r], 50),
                 "p95": percentile([r[key] for r in rows if key in r], 95),
                 "mean": sum(r[key] for r in rows if key in r) / sum(1 for r in rows if key in r)}
           for key in keys}
    out["queries"] = len(rows)
    return out


def run_size(size: int, embedder_name: str, extractor_name: str, work: Path, generator: CorpusGenerator,
             queries: list[tuple[str, str]], args: argparse.Namespace) -> dict[str, Any]:
    corpus, store = work / f"corpus-{size}", work / f"store-{size}"
    for folder in (corpus, store):
        shutil.rmtree(folder, ignore_errors=True)
    started = time.perf_counter()
    docs, chunks = generator.write(corpus, size)
    result: dict[str, Any] = {"size": size, "embedder": embedder_name, "extractor": extractor_name,
                              "corpus": {"documents": docs, "chunks": chunks,
                                         "write_s": time.perf_counter() - started}}
    print(f"size {size}: wrote {docs} files ({chunks} chunks); loading models...", file=sys.stderr)
    started = time.perf_counter()
    embedder, extractor = make_embedder(embedder_name), make_extractor(extractor_name)
    result["model_load_s"] = time.perf_counter() - started
    kb, result["ingest"] = ingest(corpus, store, embedder, extractor, docs, f"ingest {size}",
                                  args.hnsw_threshold)
    result["store"] = store_stats(kb)
    kb.close()
    kb, result["reingest"] = ingest(corpus, store, embedder, extractor, docs, f"re-ingest {size}",
                                    args.hnsw_threshold)
    result["reingest"]["ratio"] = result["reingest"]["seconds"] / result["ingest"]["seconds"]
    try:
        started = time.perf_counter()
        kb.vectors(USER)  # the first search opens the index; time it apart from the queries
        result["index_open_s"] = time.perf_counter() - started
        query_embedder = embedder
        if embedder_name == "hash" and args.query_embedder == "minilm":
            query_embedder = make_embedder("minilm")  # same dim; the index is already open
        result["query_embedder"] = "minilm" if query_embedder.name != "hash" else "hash"
        kb.embedder = TimedEmbedder(query_embedder)
        print(f"size {size}: {len(queries)} queries x {len(VARIANTS)} retrievers...", file=sys.stderr)
        result["queries"] = measure_queries(kb, queries, args.warmup)
        result["queries_load_average_after"] = load_average()
    finally:
        kb.close()
    result["peak_rss_mib"] = peak_rss_mib()
    return result


def targets(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    at_target = [r for r in results if r["size"] >= P95_TARGET_SIZE]
    p95 = at_target[0]["queries"]["hybrid"]["total"]["p95"] if at_target else None
    note = ""
    if at_target:
        r = at_target[0]
        note = f"{r['size']} chunks; store: {r['embedder']} vectors, extractor {r['extractor']}; " \
               f"queries embedded with {r['query_embedder']}"
    out.append({"target": f"hybrid p95 <= {P95_TARGET_MS:g} ms at {P95_TARGET_SIZE:,} chunks",
                "value": p95, "note": note, "pass": None if p95 is None else p95 <= P95_TARGET_MS})
    for r in results:
        ratio = r["reingest"]["ratio"]
        out.append({"target": f"re-ingest unchanged <= {REINGEST_TARGET:.0%} of first ingest",
                    "value": ratio, "note": f"{r['size']} chunks", "pass": ratio <= REINGEST_TARGET})
    return out


def report(data: dict[str, Any]) -> str:
    inputs, results = data["inputs"], data["results"]
    code = data["code"]
    lines = ["# Retrieval speed", *describe_machine(data["machine"]),
             f"code: {code['commit']}" + (f" + changes to {', '.join(code['modified'])}"
                                          if code["modified"] else ""),
             f"inputs: synthetic corpus (seed {inputs['seed']}, ~{inputs['chinese_share']:.0%} Chinese "
             f"documents, Zipf-distributed entities), chunk size 200 / overlap 30; {inputs['threads']} "
             f"thread(s); {inputs['queries']} queries after {inputs['warmup']} warm-up, rotating order; "
             f"HNSW threshold {inputs['hnsw_threshold']:,} vectors", ""]
    rows = [[r["size"], r["corpus"]["documents"], r["ingest"]["chunks"],
             f"{r['embedder']} + {r['extractor']}", fmt(r["ingest"]["seconds"], 1),
             fmt(r["ingest"]["chunks_per_s"], 1), fmt(r["ingest"]["docs_per_s"], 1),
             r["store"]["index_kind"], r["store"]["entities"], r["store"]["relations"],
             r["store"]["store_mib"], fmt(r["reingest"]["seconds"], 2),
             f"{r['reingest']['ratio']:.2%}"] for r in results]
    lines += ["ingest (ingest_files on a fresh store; re-ingest: same files, fresh KnowledgeBase)",
              table(["chunks", "files", "ingested", "embedder + extractor", "ingest s", "chunks/s",
                     "files/s", "index", "entities", "relations", "store MiB", "re-ingest s",
                     "re-ingest / first"], rows), ""]
    rows = []
    for r in results:
        for variant, q in r["queries"].items():
            rows.append([r["size"], variant, r["query_embedder"], fmt(q["total"]["p50"], 1),
                         fmt(q["total"]["p95"], 1), fmt(q["total"]["mean"], 1),
                         fmt(q["results"]["mean"], 1)])
    lines += ["query latency in ms (RetrievalResult.timings_ms['total']), k=5",
              table(["chunks", "retriever", "query embedder", "p50", "p95", "mean", "results"], rows), ""]
    steps = ("query_embed", "dense", "bm25", "graph", "other", "total")
    rows = [[r["size"], step, fmt(r["queries"]["hybrid"][step]["p50"], 2),
             fmt(r["queries"]["hybrid"][step]["p95"], 2)] for r in results for step in steps]
    lines += ["hybrid breakdown in ms (dense includes query_embed; other = entity linking of the "
              "query, fusion, loading the results)", table(["chunks", "step", "p50", "p95"], rows), ""]
    lines += ["load average (1, 5, 15 min) after: " + "; ".join(
        f"{r['size']}: ingest {r['ingest']['load_average_after']}, re-ingest "
        f"{r['reingest']['load_average_after']}, queries {r['queries_load_average_after']}"
        for r in results), ""]
    lines += [table(["target", "value", "result", "measured on"],
                    [[t["target"], fmt(t["value"], 3), "-" if t["pass"] is None else
                      ("PASS" if t["pass"] else "FAIL"), t["note"]] for t in data["targets"]])]
    return "\n".join(lines)


def per_size(value: str, sizes: list[int], choices: tuple[str, ...], flag: str) -> list[str]:
    names = [v.strip() for v in value.split(",") if v.strip()]
    if len(names) == 1:
        names *= len(sizes)
    if len(names) != len(sizes) or set(names) - set(choices):
        raise SystemExit(f"{flag} takes one of {choices}, or one per size ({len(sizes)}); got {value!r}")
    return names


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="corpus sizes in chunks")
    parser.add_argument("--embedder", default="minilm", help="minilm | hash, one or one per size")
    parser.add_argument("--extractor", default="fast", help="fast | none, one or one per size")
    parser.add_argument("--query-embedder", default="minilm", choices=("minilm", "store"),
                        help="embed queries with MiniLM even over a hash-built store, or with "
                             "the store's own embedder")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1, help="torch / FAISS threads")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--hnsw-threshold", type=int, default=20_000)
    parser.add_argument("--workdir", type=Path, help="keep corpora and stores here (default: a temp dir)")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "retrieval_speed.json")
    args = parser.parse_args(argv)
    args.sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    args.embedders = per_size(args.embedder, args.sizes, ("minilm", "hash"), "--embedder")
    args.extractors = per_size(args.extractor, args.sizes, ("fast", "none"), "--extractor")
    return args


def code_version() -> dict[str, Any]:
    """The commit measured, and the files that differed from it."""
    import subprocess

    def git(*command: str) -> str:
        done = subprocess.run(["git", *command], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    return {"commit": git("rev-parse", "--short", "HEAD"),
            "modified": [line[3:] for line in git("status", "--short").splitlines()
                         if line[3:].endswith(".py")]}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    set_threads(args.threads)
    # Import the code under test now, so that edits made during a long run cannot mix in.
    import graph.embedding
    import graph.extract_fast
    import graph.ingest
    import graph.retrieve  # noqa: F401
    generator = CorpusGenerator(args.seed)
    queries = generator.queries(args.queries)
    data: dict[str, Any] = {
        "machine": machine_info(PACKAGES),
        "code": code_version(),
        "inputs": {"sizes": args.sizes, "embedders": args.embedders, "extractors": args.extractors,
                   "query_embedder": args.query_embedder, "queries": len(queries),
                   "warmup": args.warmup, "threads": args.threads, "seed": args.seed,
                   "chinese_share": generator.chinese_share, "hnsw_threshold": args.hnsw_threshold,
                   "query_kinds": {k: sum(1 for q in queries if q[0] == k) for k, _ in queries}},
        "results": [],
    }
    with tempfile.TemporaryDirectory(prefix="retrieval-speed-") as scratch:
        work = args.workdir or Path(scratch)
        for size, embedder, extractor in zip(args.sizes, args.embedders, args.extractors, strict=True):
            data["results"].append(run_size(size, embedder, extractor, work, generator, queries, args))
    data["targets"] = targets(data["results"])
    print(report(data))
    print(f"\nresults written to {write_results(args.out.stem, data, args.out.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
