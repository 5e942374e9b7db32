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

``--graph-backend sqlite|neo4j|both`` picks the graph store as the agent does (``graph.backend``;
Neo4j at NEO4J_URI); ``both`` ingests the same corpus into each and runs the queries on both,
alternating, with neo4j/sqlite ratios:

    NEO4J_URI=bolt://127.0.0.1:7687 python benchmarks/retrieval_speed.py --sizes 10000 \
        --embedder hash --graph-backend both
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
    add_graph_backend_arguments,
    benchmark_settings,
    describe_machine,
    fmt,
    graph_backends,
    machine_info,
    open_benchmark_kb,
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
NEO4J_P95_RATIO_TARGET = 2.0  # hybrid p95 with the graph on Neo4j <= 2x the embedded SQLite one


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
           hnsw_threshold: int, backend: str = "sqlite", args: argparse.Namespace | None = None,
           fresh: bool = True) -> tuple[Any, dict[str, Any]]:
    """Ingest ``folder`` into a knowledge base at ``store`` whose graph is on ``backend`` (built
    from settings as the agent builds it; ``fresh``: a Neo4j graph is cleared of earlier runs);
    returns it (open) and the numbers."""
    from graph.ingest import Ingestor

    settings = benchmark_settings(store, backend, neo4j_uri=getattr(args, "neo4j_uri", None),
                                  native_indexes=getattr(args, "neo4j_native_indexes", False))
    settings.knowledge.hnsw_threshold = hnsw_threshold
    started = time.perf_counter()
    kb = open_benchmark_kb(settings, embedder, USER, clear=fresh)
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


def measure_queries(kbs: dict[str, Any], queries: list[tuple[str, str]],
                    warmup: int) -> dict[str, dict[str, Any]]:
    """Per backend, per retriever: latency summaries. Each query runs every retriever on every
    backend, the order of both rotating, so that load on the machine falls on all alike."""
    from graph.retrieve import HybridRetriever

    retrievers = {backend: HybridRetriever(kb) for backend, kb in kbs.items()}
    names, backends = list(VARIANTS), list(kbs)
    for _, query in queries[:warmup]:
        for backend in backends:
            for variant in names:
                retrievers[backend].retrieve(query, user_id=USER, signals=VARIANTS[variant])
    samples = {b: {v: [] for v in names} for b in backends}
    for i, (_, query) in enumerate(queries):
        for backend in backends[i % len(backends):] + backends[: i % len(backends)]:
            embedder = kbs[backend].embedder
            for variant in names[i % len(names):] + names[: i % len(names)]:  # rotate the order
                started = time.perf_counter()
                result = retrievers[backend].retrieve(query, user_id=USER, signals=VARIANTS[variant])
                wall = (time.perf_counter() - started) * 1000
                timings = dict(result.timings_ms, wall=wall, results=len(result.items))
                if "dense" in VARIANTS[variant]:
                    timings["query_embed"] = embedder.last_ms
                timings["other"] = timings["total"] - sum(timings.get(s, 0.0) for s in VARIANTS["hybrid"])
                samples[backend][variant].append(timings)
    return {b: {variant: summarize(rows) for variant, rows in samples[b].items()} for b in backends}


def summarize(rows: list[dict[str, float]]) -> dict[str, Any]:
    keys = sorted({key for row in rows for key in row})
    out = {key: {"p50": percentile([r[key] for r in rows if key in r], 50),
                 "p95": percentile([r[key] for r in rows if key in r], 95),
                 "mean": sum(r[key] for r in rows if key in r) / sum(1 for r in rows if key in r)}
           for key in keys}
    out["queries"] = len(rows)
    return out


def run_size(size: int, embedder_name: str, extractor_name: str, work: Path, generator: CorpusGenerator,
             queries: list[tuple[str, str]], args: argparse.Namespace) -> list[dict[str, Any]]:
    """One corpus of ``size`` chunks, ingested into each graph backend; one result per backend."""
    backends = graph_backends(getattr(args, "graph_backend", "sqlite"))
    corpus = work / f"corpus-{size}"
    stores = {b: work / (f"store-{size}" if backends == ["sqlite"] else f"store-{size}-{b}")
              for b in backends}
    for folder in (corpus, *stores.values()):
        shutil.rmtree(folder, ignore_errors=True)
    started = time.perf_counter()
    docs, chunks = generator.write(corpus, size)
    common = {"size": size, "embedder": embedder_name, "extractor": extractor_name,
              "corpus": {"documents": docs, "chunks": chunks, "write_s": time.perf_counter() - started}}
    print(f"size {size}: wrote {docs} files ({chunks} chunks); loading models...", file=sys.stderr)
    started = time.perf_counter()
    embedder, extractor = make_embedder(embedder_name), make_extractor(extractor_name)
    common["model_load_s"] = time.perf_counter() - started
    results = {b: dict(common, backend=b) for b in backends}
    kbs: dict[str, Any] = {}
    try:
        for backend in backends:
            result, store = results[backend], stores[backend]
            kb, result["ingest"] = ingest(corpus, store, embedder, extractor, docs,
                                          f"{backend} ingest {size}", args.hnsw_threshold, backend, args)
            result["store"] = store_stats(kb)
            kb.close()
            kbs[backend], result["reingest"] = ingest(corpus, store, embedder, extractor, docs,
                                                      f"{backend} re-ingest {size}", args.hnsw_threshold,
                                                      backend, args, fresh=False)
            result["reingest"]["ratio"] = result["reingest"]["seconds"] / result["ingest"]["seconds"]
        query_embedder = embedder
        if embedder_name == "hash" and args.query_embedder == "minilm":
            query_embedder = make_embedder("minilm")  # same dim; the index is already open
        for backend, kb in kbs.items():
            started = time.perf_counter()
            kb.vectors(USER)  # the first search opens the index; time it apart from the queries
            results[backend]["index_open_s"] = time.perf_counter() - started
            results[backend]["query_embedder"] = "minilm" if query_embedder.name != "hash" else "hash"
            kb.embedder = TimedEmbedder(query_embedder)
        print(f"size {size}: {len(queries)} queries x {len(VARIANTS)} retrievers x "
              f"{len(backends)} backend(s)...", file=sys.stderr)
        for backend, measured in measure_queries(kbs, queries, args.warmup).items():
            results[backend]["queries"] = measured
            results[backend]["queries_load_average_after"] = load_average()
    finally:
        for kb in kbs.values():
            kb.close()
    for result in results.values():
        result["peak_rss_mib"] = peak_rss_mib()
    return list(results.values())


def backend_label(r: dict[str, Any]) -> str:
    return r.get("backend", "sqlite")


def targets(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for backend in dict.fromkeys(backend_label(r) for r in results):
        at_target = [r for r in results if r["size"] >= P95_TARGET_SIZE and backend_label(r) == backend]
        p95 = at_target[0]["queries"]["hybrid"]["total"]["p95"] if at_target else None
        note = f"graph {backend}"
        if at_target:
            r = at_target[0]
            note = f"{r['size']} chunks; graph {backend}; store: {r['embedder']} vectors, extractor " \
                   f"{r['extractor']}; queries embedded with {r['query_embedder']}"
        out.append({"target": f"hybrid p95 <= {P95_TARGET_MS:g} ms at {P95_TARGET_SIZE:,} chunks",
                    "value": p95, "note": note, "pass": None if p95 is None else p95 <= P95_TARGET_MS})
    for r in results:
        ratio = r["reingest"]["ratio"]
        out.append({"target": f"re-ingest unchanged <= {REINGEST_TARGET:.0%} of first ingest",
                    "value": ratio, "note": f"{r['size']} chunks; graph {backend_label(r)}",
                    "pass": ratio <= REINGEST_TARGET})
    for neo in (r for r in results if backend_label(r) == "neo4j"):
        base = next((r for r in results if r["size"] == neo["size"] and backend_label(r) == "sqlite"), None)
        if base is None:
            continue
        ratio = neo["queries"]["hybrid"]["total"]["p95"] / base["queries"]["hybrid"]["total"]["p95"]
        out.append({"target": f"hybrid p95 on Neo4j <= {NEO4J_P95_RATIO_TARGET:g}x SQLite",
                    "value": ratio, "note": f"{neo['size']} chunks, same run, alternating",
                    "pass": ratio <= NEO4J_P95_RATIO_TARGET})
    return out


def comparison(results: list[dict[str, Any]]) -> list[str]:
    """neo4j vs sqlite per size and retriever: p50/p95 side by side with ratios, and ingest."""
    from benchmarks.common import side_by_side

    sizes = [r["size"] for r in results if backend_label(r) == "neo4j"]
    pairs = [(next(r for r in results if r["size"] == size and backend_label(r) == "sqlite"),
              next(r for r in results if r["size"] == size and backend_label(r) == "neo4j"))
             for size in sizes if any(r["size"] == size and backend_label(r) == "sqlite" for r in results)]
    if not pairs:
        return []
    rows: dict[str, list[list[Any]]] = {"sqlite": [], "neo4j": []}
    for pair in pairs:
        for r in pair:
            rows[backend_label(r)].append([r["size"], "ingest s", r["ingest"]["seconds"],
                                           r["reingest"]["seconds"]])
    lines = ["neo4j vs sqlite (same corpus, same run): ingest and re-ingest seconds",
             side_by_side(rows, 2, ["first", "re-ingest"], ["chunks", "what"], ratio_columns=(0, 1),
                          digits=(1, 2)), ""]
    rows = {"sqlite": [], "neo4j": []}
    for pair in pairs:
        for r in pair:
            for variant, q in r["queries"].items():
                rows[backend_label(r)].append([r["size"], variant, q["total"]["p50"], q["total"]["p95"]])
    lines += ["neo4j vs sqlite query latency in ms (queries alternate between the backends)",
              side_by_side(rows, 2, ["p50", "p95"], ["chunks", "retriever"], ratio_columns=(0, 1),
                           digits=(1, 1)), ""]
    return lines


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
    rows = [[r["size"], backend_label(r), r["corpus"]["documents"], r["ingest"]["chunks"],
             f"{r['embedder']} + {r['extractor']}", fmt(r["ingest"]["seconds"], 1),
             fmt(r["ingest"]["chunks_per_s"], 1), fmt(r["ingest"]["docs_per_s"], 1),
             r["store"]["index_kind"], r["store"]["entities"], r["store"]["relations"],
             r["store"]["store_mib"], fmt(r["reingest"]["seconds"], 2),
             f"{r['reingest']['ratio']:.2%}"] for r in results]
    lines += ["ingest (ingest_files on a fresh store; re-ingest: same files, fresh KnowledgeBase)",
              table(["chunks", "graph", "files", "ingested", "embedder + extractor", "ingest s", "chunks/s",
                     "files/s", "index", "entities", "relations", "store MiB", "re-ingest s",
                     "re-ingest / first"], rows), ""]
    rows = []
    for r in results:
        for variant, q in r["queries"].items():
            rows.append([r["size"], backend_label(r), variant, r["query_embedder"], fmt(q["total"]["p50"], 1),
                         fmt(q["total"]["p95"], 1), fmt(q["total"]["mean"], 1),
                         fmt(q["results"]["mean"], 1)])
    lines += ["query latency in ms (RetrievalResult.timings_ms['total']), k=5",
              table(["chunks", "graph", "retriever", "query embedder", "p50", "p95", "mean", "results"],
                    rows), ""]
    steps = ("query_embed", "dense", "bm25", "graph", "other", "total")
    rows = [[r["size"], backend_label(r), step, fmt(r["queries"]["hybrid"][step]["p50"], 2),
             fmt(r["queries"]["hybrid"][step]["p95"], 2)] for r in results for step in steps]
    lines += ["hybrid breakdown in ms (dense includes query_embed; other = entity linking of the "
              "query, fusion, loading the results)",
              table(["chunks", "graph", "step", "p50", "p95"], rows), ""]
    lines += comparison(results)
    lines += ["load average (1, 5, 15 min) after: " + "; ".join(
        f"{r['size']} {backend_label(r)}: ingest {r['ingest']['load_average_after']}, re-ingest "
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
    parser.add_argument("--out", type=Path, default=None,
                        help="results file (default: results/retrieval_speed.json, with "
                             "_neo4j/_both before .json for those backends)")
    add_graph_backend_arguments(parser)
    args = parser.parse_args(argv)
    if args.out is None:
        suffix = "" if args.graph_backend == "sqlite" else f"_{args.graph_backend}"
        args.out = RESULTS_DIR / f"retrieval_speed{suffix}.json"
    args.sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    args.embedders = per_size(args.embedder, args.sizes, ("minilm", "hash"), "--embedder")
    args.extractors = per_size(args.extractor, args.sizes, ("fast", "none"), "--extractor")
    return args


def code_version() -> dict[str, Any]:
    """The commit measured, and the files that differed from it."""
    import subprocess

    def git(*command: str) -> str:
        done = subprocess.run(["git", *command], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.rstrip()  # not strip(): " M path" keeps its status columns

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
    import graph.neo4j_store
    import graph.retrieve  # noqa: F401
    generator = CorpusGenerator(args.seed)
    queries = generator.queries(args.queries)
    data: dict[str, Any] = {
        "machine": machine_info((*PACKAGES, "neo4j")),
        "code": code_version(),
        "inputs": {"sizes": args.sizes, "embedders": args.embedders, "extractors": args.extractors,
                   "query_embedder": args.query_embedder, "queries": len(queries),
                   "warmup": args.warmup, "threads": args.threads, "seed": args.seed,
                   "graph_backends": graph_backends(args.graph_backend),
                   "neo4j_native_indexes": args.neo4j_native_indexes,
                   "chinese_share": generator.chinese_share, "hnsw_threshold": args.hnsw_threshold,
                   "query_kinds": {k: sum(1 for q in queries if q[0] == k) for k, _ in queries}},
        "results": [],
    }
    with tempfile.TemporaryDirectory(prefix="retrieval-speed-") as scratch:
        work = args.workdir or Path(scratch)
        for size, embedder, extractor in zip(args.sizes, args.embedders, args.extractors, strict=True):
            data["results"].extend(run_size(size, embedder, extractor, work, generator, queries, args))
    data["targets"] = targets(data["results"])
    print(report(data))
    print(f"\nresults written to {write_results(args.out.stem, data, args.out.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
