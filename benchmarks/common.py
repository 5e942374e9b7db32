"""Small helpers every benchmark shares: the machine, medians, tables, results files."""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def total_memory_gib() -> float | None:
    try:
        pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None
    return round(pages * page_size / 2**30, 1)


def package_version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine_info(packages: Sequence[str] = ()) -> dict[str, Any]:
    """What the numbers were measured on; ``packages`` are distribution names to report."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu": cpu_model(),
        "logical_cores": os.cpu_count(),
        "usable_cores": usable,
        "memory_gib": total_memory_gib(),
        "os": f"{platform.system()} {platform.release()} {platform.machine()}",
        "python": platform.python_version(),
        "packages": {name: package_version(name) for name in packages},
    }


def describe_machine(info: dict[str, Any]) -> list[str]:
    versions = ", ".join(f"{name} {version}" for name, version in info["packages"].items())
    return [
        f"machine: {info['cpu']}; {info['logical_cores']} logical cores "
        f"({info['usable_cores']} usable); {info['memory_gib']} GiB RAM; {info['os']}; "
        f"Python {info['python']}",
        f"versions: {versions}",
    ]


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100) with linear interpolation between order statistics."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def peak_rss_mib() -> float:
    """This process's peak resident memory so far (Linux reports ru_maxrss in KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table with aligned columns, readable in a terminal and in the README."""
    cells = [[str(h) for h in headers]] + [[fmt(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths,
                                                                         strict=True)) + " |"

    rule = "|" + "|".join("-" * (width + 2) for width in widths) + "|"
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def write_results(name: str, data: dict[str, Any], directory: Path = RESULTS_DIR) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return path


def set_threads(threads: int) -> None:
    """CPU threads for torch, BLAS and FAISS searches, before any of them starts working."""
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[name] = str(threads)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import torch

    from graph.vector import set_search_threads

    torch.set_num_threads(threads)
    set_search_threads(threads)


# ---- graph store backends: the same data on each, side by side in one run ----------------
GRAPH_BACKEND_CHOICES = ("sqlite", "neo4j", "both")


def add_graph_backend_arguments(parser: Any) -> None:
    """``--graph-backend sqlite|neo4j|both`` (and the Neo4j server to use) on an argparse parser."""
    parser.add_argument("--graph-backend", choices=GRAPH_BACKEND_CHOICES, default="sqlite",
                        help="graph store: sqlite (embedded, default), neo4j (a Neo4j 5 server: "
                             "--neo4j-uri, NEO4J_URI or CONGMING_GRAPH__URI), or both, side by side "
                             "on the same data in one run")
    parser.add_argument("--neo4j-uri", default=None,
                        help="Neo4j server for --graph-backend neo4j|both (default: NEO4J_URI, then "
                             "CONGMING_GRAPH__URI); user and password from CONGMING_GRAPH__USER/"
                             "__PASSWORD or NEO4J_USER/NEO4J_PASSWORD")
    parser.add_argument("--neo4j-native-indexes", action="store_true",
                        help="on Neo4j also use its vector and full-text indexes instead of FAISS "
                             "and FTS5 (graph.native_indexes; off in the agent's defaults)")


def graph_backends(choice: str) -> list[str]:
    """The backends a ``--graph-backend`` value runs, in order: 'both' -> sqlite, then neo4j."""
    if choice not in GRAPH_BACKEND_CHOICES:
        raise ValueError(f"--graph-backend must be one of {GRAPH_BACKEND_CHOICES}, not {choice!r}")
    return ["sqlite", "neo4j"] if choice == "both" else [choice]


def benchmark_settings(data_dir: Path, backend: str, *, neo4j_uri: str | None = None,
                       native_indexes: bool = False, environ: dict[str, str] | None = None,
                       **overrides: Any) -> Any:
    """The agent's ``Settings`` for a benchmark's store in ``data_dir`` on the graph ``backend``:
    the environment and config file as the agent reads them, the graph backend set here, and for
    Neo4j the URI from ``neo4j_uri``, else NEO4J_URI, else CONGMING_GRAPH__URI."""
    from agent.settings import Settings

    env = os.environ if environ is None else environ
    settings = Settings.load(data_dir=data_dir, **overrides)
    graph: dict[str, Any] = {"backend": backend, "native_indexes": backend == "neo4j" and native_indexes}
    if backend == "neo4j":
        graph["uri"] = neo4j_uri or env.get("NEO4J_URI") or settings.graph.uri
        if "CONGMING_GRAPH__USER" not in env and env.get("NEO4J_USER"):
            graph["user"] = env["NEO4J_USER"]
        if settings.graph.password is None and env.get("NEO4J_PASSWORD"):
            from pydantic import SecretStr

            graph["password"] = SecretStr(env["NEO4J_PASSWORD"])
    settings.graph = settings.graph.model_copy(update=graph)
    return settings


def open_benchmark_kb(settings: Any, embedder: Any, user_id: str, *, clear: bool = True) -> Any:
    """The knowledge base the agent would build from ``settings`` (``agent.components``), opened,
    with ``user_id``'s earlier data removed from a Neo4j graph (the SQLite files are fresh):
    every run starts from the same empty store on each backend (``clear=False``: reopen as is)."""
    import logging

    from agent.components import create_knowledge_base

    # The server's notes on queries (e.g. "property valid_to does not exist" before any relation
    # has one) are logged as warnings per query and would bury the tables.
    logging.getLogger("neo4j.notifications").setLevel(logging.ERROR)
    kb = create_knowledge_base(settings, embedder)
    kb.open()
    if kb.graph_error:
        kb.close()
        raise SystemExit(f"Neo4j at {settings.graph.uri} is not reachable ({kb.graph_error}); start "
                         "it (make neo4j) or set NEO4J_URI / --neo4j-uri.")
    if clear and kb.external_graph:
        clear_neo4j_user(kb.graph, user_id)
    return kb


def clear_neo4j_user(store: Any, user_id: str, batch: int = 5000) -> int:
    """Delete every node (and its relationships) of ``user_id`` in a Neo4j store, in batches."""

    def work(tx) -> int:
        record = tx.run("MATCH (n) WHERE n.user_id = $user WITH n LIMIT $batch DETACH DELETE n "
                        "RETURN count(*) AS deleted", user=user_id, batch=batch).single()
        return record["deleted"] if record else 0

    total = 0
    while deleted := store.run_write(work, timeout=None):
        total += deleted
    return total


def side_by_side(rows_by_backend: dict[str, list[list[Any]]], key_columns: int,
                 value_headers: Sequence[str], key_headers: Sequence[str],
                 ratio_columns: Sequence[int] = (), digits: Sequence[int] | None = None) -> str:
    """One table: the key columns, then each value column per backend (``value sqlite``,
    ``value neo4j``, with ``digits[i]`` decimals), and for ``ratio_columns`` (indexes into the
    values) the second backend's value over the first's."""
    backends = list(rows_by_backend)
    headers = list(key_headers)
    for h in value_headers:
        headers += [f"{h} {b}" for b in backends]
    both = len(backends) == 2
    if both:
        headers += [f"{value_headers[i]} {backends[1]}/{backends[0]}" for i in ratio_columns]
    first = rows_by_backend[backends[0]]
    rows = []
    for index, row in enumerate(first):
        out = list(row[:key_columns])
        values = {b: rows_by_backend[b][index][key_columns:] for b in backends}
        for column in range(len(value_headers)):
            places = digits[column] if digits else 2
            out += [fmt(values[b][column], places) for b in backends]
        if both:
            for i in ratio_columns:
                a, b = values[backends[0]][i], values[backends[1]][i]
                out.append(f"{b / a:.2f}x" if isinstance(a, int | float) and isinstance(b, int | float)
                           and a else "-")
        rows.append(out)
    return table(headers, rows)
