"""`congming doctor`'s graph checks: the backend, and for Neo4j the connection, the server
version and the constraints and indexes congming relies on."""

from __future__ import annotations

import importlib.util
import re
from typing import Any

from agent.doctor import Check
from agent.settings import GraphSettings, Settings

MIN_MAJOR = 5
VECTOR_MIN = (5, 13)  # vector indexes are generally available from Neo4j 5.13
_SCHEMA_NAME = re.compile(r"^CREATE (?:CONSTRAINT|INDEX) (\w+) IF NOT EXISTS")

SHOW_CONSTRAINTS = "SHOW CONSTRAINTS YIELD name RETURN name"
SHOW_INDEXES = "SHOW INDEXES YIELD name, type, state, options RETURN name, type, state, options"


def expected_schema(native_indexes: bool) -> list[str]:
    """Names of the constraints and indexes the Neo4j store (and its native indexes) create."""
    from graph import neo4j_chunks, neo4j_queries

    statements = list(neo4j_queries.SCHEMA)
    names = [m.group(1) for s in statements if (m := _SCHEMA_NAME.match(s))]
    if native_indexes:
        names += [m.group(1) for s in (neo4j_chunks.CHUNK_KEY, neo4j_chunks.CHUNK_USER)
                  if (m := _SCHEMA_NAME.match(s))]
        names += [neo4j_chunks.VECTOR_INDEX, neo4j_chunks.FULLTEXT_INDEX]
    return names


def parse_version(agent: str) -> tuple[int, ...] | None:
    """``"Neo4j/5.26.0"`` -> (5, 26, 0); calendar versions (``"Neo4j/2025.01.0"``) count as newer."""
    match = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", agent or "")
    return None if match is None else tuple(int(g) for g in match.groups() if g is not None)


def check_graph(settings: Settings, driver: Any = None) -> list[Check]:
    """The graph backend's checks; ``driver`` is a caller's open Neo4j driver (else one is opened
    from the settings and closed again)."""
    graph = settings.graph
    from agent.components import GRAPH_BACKENDS

    if graph.backend not in GRAPH_BACKENDS:
        return [Check("graph backend", "fail", f"unknown backend {graph.backend!r}",
                      f"Set CONGMING_GRAPH__BACKEND to one of {sorted(GRAPH_BACKENDS)}.")]
    if graph.backend == "sqlite":
        note = "" if not graph.native_indexes else " (graph.native_indexes is ignored: it needs neo4j)"
        return [Check("graph backend", "ok",
                      f"sqlite, embedded in {settings.data_dir / 'knowledge'}{note}")]
    checks = [Check("graph backend", "ok", f"neo4j at {graph.uri or 'the driver passed in'}")]
    if importlib.util.find_spec("neo4j") is None:
        return [*checks, Check("neo4j driver", "fail", "the neo4j package is not installed",
                               "pip install 'congming[neo4j]'")]
    if driver is None and not graph.uri:
        return [*checks, Check("neo4j connection", "fail", "no server set",
                               "Set CONGMING_GRAPH__URI (e.g. neo4j://localhost:7687) and "
                               "CONGMING_GRAPH__PASSWORD.")]
    owned = driver is None
    try:
        if owned:
            driver = _open_driver(graph)
        return checks + check_neo4j(driver, graph)
    finally:
        if owned and driver is not None:
            driver.close()


def _open_driver(graph: GraphSettings) -> Any:
    import neo4j

    password = graph.password.get_secret_value() if graph.password else ""
    return neo4j.GraphDatabase.driver(graph.uri, auth=(graph.user, password), connection_timeout=5.0,
                                      max_transaction_retry_time=5.0)


def check_neo4j(driver: Any, graph: GraphSettings) -> list[Check]:
    """Connectivity, version and schema of the server behind ``driver``."""
    where = graph.uri or "the driver passed in"
    try:
        driver.verify_connectivity()
        agent = driver.get_server_info().agent
    except Exception as exc:
        auth = "auth" in type(exc).__name__.lower() or "unauthorized" in str(exc).lower()
        fix = ("Check CONGMING_GRAPH__USER and CONGMING_GRAPH__PASSWORD." if auth else
               "Start the server (`docker compose up -d neo4j`; `docker compose ps` shows it healthy) "
               "and check CONGMING_GRAPH__URI.")
        return [Check("neo4j connection", "fail", f"cannot reach {where}: {type(exc).__name__}: {exc}",
                      fix)]
    checks = [Check("neo4j connection", "ok", f"connected to {where}"), _version_check(agent, graph)]
    if checks[-1].status == "fail":
        return checks
    return checks + _schema_checks(driver, graph)


def _version_check(agent: str, graph: GraphSettings) -> Check:
    version = parse_version(agent)
    if version is None:
        return Check("neo4j version", "warn", f"unknown ({agent!r})", "congming needs Neo4j 5 or newer.")
    text = ".".join(map(str, version))
    if version[0] < MIN_MAJOR:
        return Check("neo4j version", "fail", f"{text}: too old",
                     "congming needs Neo4j 5 or newer (the compose file runs neo4j:5.26).")
    if graph.native_indexes and version < VECTOR_MIN:
        return Check("neo4j version", "fail", f"{text}: no vector indexes",
                     "graph.native_indexes needs Neo4j 5.13 or newer; upgrade, or set "
                     "CONGMING_GRAPH__NATIVE_INDEXES=false.")
    return Check("neo4j version", "ok", text)


def _schema_checks(driver: Any, graph: GraphSettings) -> list[Check]:
    try:
        constraints = {r["name"] for r in _read(driver, graph, SHOW_CONSTRAINTS)}
        indexes = {r["name"]: r for r in _read(driver, graph, SHOW_INDEXES)}
    except Exception as exc:
        return [Check("neo4j schema", "warn", f"could not list indexes: {type(exc).__name__}: {exc}",
                      "The user needs the right to run SHOW INDEXES / SHOW CONSTRAINTS.")]
    wanted = expected_schema(graph.native_indexes)
    missing = [name for name in wanted if name not in constraints and name not in indexes]
    offline = [f"{name} ({indexes[name]['state']})" for name in wanted
               if name in indexes and str(indexes[name]["state"]).upper() != "ONLINE"]
    if missing:
        return [Check("neo4j schema", "warn", f"{len(missing)} of {len(wanted)} missing: "
                      f"{', '.join(missing)}",
                      "congming creates them (IF NOT EXISTS) when it opens the store: start it once "
                      "(e.g. `congming documents`), then run doctor again.")]
    if offline:
        return [Check("neo4j schema", "warn", f"not online yet: {', '.join(offline)}",
                      "Wait for the indexes to finish populating; a FAILED one must be dropped "
                      "(DROP INDEX name) and is created again on the next start.")]
    detail = f"{len(wanted)} constraints and indexes online"
    if graph.native_indexes:
        from graph.neo4j_chunks import VECTOR_INDEX, vector_dimensions

        detail += f"; vector index dimension {vector_dimensions(indexes[VECTOR_INDEX]['options'])}"
    return [Check("neo4j schema", "ok", detail)]


def _read(driver: Any, graph: GraphSettings, query: str) -> list[Any]:
    return list(driver.execute_query(query, database_=graph.database, routing_="r").records)
