"""The knowledge graph in Neo4j 5 through the official ``neo4j`` driver: the scale-out ``GraphStore``.

Same semantics as ``SQLiteGraphStore`` (the contract suite runs over both). Reads run in
``session.execute_read`` (routed to readers in a cluster), writes in ``session.execute_write``;
both retry transient errors. Every query is a constant in ``graph.neo4j_queries`` with its
values passed as parameters. The data model is described there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from graph import neo4j_ops as ops
from graph import neo4j_queries as q
from graph.errors import BackendUnavailableError, ConfigError, CongmingError, InputError, require
from graph.store import (
    DeleteReport,
    EntityMatch,
    GraphStats,
    MergeRecord,
    Neighbour,
    Subgraph,
    checked_relations,
    entity_names,
    long_enough_to_link,
    match_score,
    name_candidates,
    normalise_name,
    owned_items,
)
from graph.types import Entity, Relation

T = TypeVar("T")
_PURPOSE = "The Neo4j graph store"
_SCHEMES = ("neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc")


def _now() -> datetime:
    return datetime.now(UTC)


class Neo4jGraphStore:
    """GraphStore in a Neo4j 5 database.

    Pass ``driver=`` to share a driver the caller owns (it is never closed here), or
    ``uri``/``user``/``password`` (and ``database``) for a driver this store opens and closes.
    ``query_timeout_s`` bounds every transaction on the server (``None``: the server default).
    A driver opened here gives up connecting after ``connect_timeout_s`` and retrying transient
    errors after ``max_retry_s`` (the driver's defaults, 30 s each, would hold up a chat turn
    for a minute when the server is down).
    """

    def __init__(self, uri: str | None = None, user: str = "neo4j", password: str = "", *,
                 database: str | None = None, driver: Any = None,
                 query_timeout_s: float | None = 30.0, connect_timeout_s: float = 5.0,
                 max_retry_s: float = 10.0) -> None:
        if driver is None and not uri:
            raise ConfigError("Neo4jGraphStore needs a uri (e.g. neo4j://localhost:7687, set "
                              "NEO4J_URI) or an open neo4j driver passed as driver=.")
        if driver is None and uri.split("://", 1)[0] not in _SCHEMES:
            raise ConfigError(f"Invalid Neo4j URI {uri!r}: it must start with one of "
                              f"{', '.join(s + '://' for s in _SCHEMES)} (e.g. neo4j://localhost:7687).")
        self.uri, self.user, self.database = uri, user, database
        self._password = password
        self._owns_driver = driver is None
        self._driver = driver
        self.query_timeout_s = query_timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.max_retry_s = max_retry_s
        self._schema_ready = False
        self._down: BackendUnavailableError | None = None  # the error of the last call, if it found no server

    # ---- connection ------------------------------------------------------------------------
    def open(self) -> None:
        """Connect and set up the schema. A server that is down raises ``BackendUnavailableError``;
        the store stays usable: once the server is back, the first call sets the schema up."""
        neo4j = require("neo4j", "neo4j", _PURPOSE)
        if self._driver is None:
            try:
                self._driver = neo4j.GraphDatabase.driver(
                    self.uri, auth=(self.user, self._password), connection_timeout=self.connect_timeout_s,
                    max_transaction_retry_time=self.max_retry_s)
            except (ValueError, neo4j.exceptions.ConfigurationError) as exc:
                raise ConfigError(f"Invalid Neo4j URI {self.uri!r} ({exc}); use e.g. "
                                  "neo4j://host:7687 or bolt://host:7687 in NEO4J_URI.") from exc
        try:
            self._driver.verify_connectivity()
        except Exception as exc:
            raise self._unavailable(exc) from exc
        self.create_schema()

    @property
    def driver(self) -> Any:
        """The driver in use (None before ``open()``), e.g. for the native vector and keyword indexes."""
        return self._driver

    def create_schema(self) -> None:
        """Constraints and indexes, each ``IF NOT EXISTS`` in its own transaction (schema changes
        cannot share one with data changes): safe to run on every open."""
        for statement in q.SCHEMA:
            self._run("write", _run_statement, statement, timeout=None, needs_schema=False)
        self._schema_ready = True

    def close(self) -> None:
        if self._owns_driver and self._driver is not None:
            self._driver.close()
            self._driver = None

    def _unavailable(self, exc: Exception) -> BackendUnavailableError:
        where = f"at {self.uri}" if self.uri else "through the driver passed in"
        neo4j = require("neo4j", "neo4j", _PURPOSE)
        if isinstance(exc, neo4j.exceptions.AuthError):
            return BackendUnavailableError(
                f"Neo4j {where} refused the login of user {self.user!r}: {exc.message or exc}. Set the "
                "right user name and password: graph.user and graph.password (CONGMING_GRAPH__USER, "
                "CONGMING_GRAPH__PASSWORD).")
        return BackendUnavailableError(
            f"Cannot reach Neo4j {where}: {type(exc).__name__}: {exc}. Check that the server is "
            "running (`docker compose up -d neo4j`, then `docker compose ps` shows it healthy; for "
            "tests `make neo4j`) and its address: graph.uri (CONGMING_GRAPH__URI; NEO4J_URI in the tests "
            "and benchmarks), e.g. neo4j://localhost:7687.")

    def _run(self, mode: str, work: Callable[..., T], *args: Any, timeout: float | None = -1.0,
             needs_schema: bool = True) -> T:
        neo4j = require("neo4j", "neo4j", _PURPOSE)
        if self._driver is None:
            raise CongmingError("Neo4jGraphStore is not open; call open() first.")
        if needs_schema and not self._schema_ready:  # open() found the server down
            self.create_schema()
        if self._down is not None:  # found down before: one quick probe, not the driver's retries
            try:
                self._driver.verify_connectivity()
            except Exception as exc:  # still down (the probe's own error says no more)
                raise self._down from exc
            self._down = None
        timed = neo4j.unit_of_work(timeout=self.query_timeout_s if timeout == -1.0 else timeout)(work)
        try:
            with self._driver.session(database=self.database) as session:
                execute = session.execute_read if mode == "read" else session.execute_write
                found = execute(timed, *args)
        except (neo4j.exceptions.ServiceUnavailable, neo4j.exceptions.SessionExpired,
                neo4j.exceptions.DatabaseUnavailable, neo4j.exceptions.AuthError) as exc:
            self._down = self._unavailable(exc)
            raise self._down from exc
        self._down = None
        return found

    def _read(self, work: Callable[..., T], *args: Any) -> T:
        return self._run("read", work, *args)

    def _write(self, work: Callable[..., T], *args: Any) -> T:
        return self._run("write", work, *args)

    def run_read(self, work: Callable[..., T], *args: Any, timeout: float | None = -1.0) -> T:
        """``work(tx, *args)`` in a managed read transaction (retried on transient errors, routed
        to a reader); ``timeout`` in seconds, None for the server default, -1 for the store's."""
        return self._run("read", work, *args, timeout=timeout)

    def run_write(self, work: Callable[..., T], *args: Any, timeout: float | None = -1.0) -> T:
        """``work(tx, *args)`` in a managed write transaction (retried on transient errors)."""
        return self._run("write", work, *args, timeout=timeout)

    def run_schema(self, statement: str, **params: Any) -> None:
        """One schema statement (``CREATE ... IF NOT EXISTS``) in its own write transaction."""
        self._run("write", _run_statement, statement, params, timeout=None)

    # ---- writes ----------------------------------------------------------------------------
    def upsert_entities(self, user_id: str, entities: Iterable[Entity]) -> int:
        items = owned_items(user_id, entities, Entity)
        if not items:
            return 0
        names = [entity_names(e) for e in items]  # checked here, before any query
        self._write(ops.upsert_entities_tx, user_id, items, names, _now())
        return len(items)

    def upsert_relations(self, user_id: str, relations: Iterable[Relation]) -> int:
        items = checked_relations(user_id, relations)
        if not items:
            return 0
        self._write(ops.upsert_relations_tx, user_id, items, _now())
        return len(items)

    def invalidate_relation(self, user_id: str, relation_id: str,
                            *, at: datetime | None = None) -> bool:
        when = ops.to_neo4j_time(at) or _now()

        def work(tx) -> bool:
            row = tx.run(q.INVALIDATE, user=user_id, id=relation_id, at=when, now=_now()).single()
            return bool(row and row["changed"])

        return self._write(work)

    def delete_by_source(self, user_id: str, source_ids: Iterable[str]) -> DeleteReport:
        return self._write(ops.delete_sources_tx, user_id, sorted(set(source_ids)))

    def delete_relations(self, user_id: str, relation_ids: Iterable[str]) -> DeleteReport:
        return self._write(ops.delete_relations_tx, user_id, sorted(set(relation_ids)))

    def find_relations(self, user_id: str, *, types: Iterable[str] | None = None,
                       source_entity_ids: Iterable[str] | None = None, id_prefix: str | None = None,
                       include_history: bool = False) -> list[Relation]:
        p = {"user": user_id, "types": None if types is None else list(types), "prefix": id_prefix,
             "history": include_history, "now": _now()}
        sources = None if source_entity_ids is None else list(source_entity_ids)

        def work(tx) -> list[Relation]:
            moved = ops.redirects(tx, user_id, sources) if sources is not None else {}
            targets = None if sources is None else sorted({moved.get(i, i) for i in sources})
            rows = ops.records(tx, q.FIND_RELATIONS, **p, sources=targets)
            return ops.relations_from_rows(tx, user_id, rows)

        return self._read(work)

    def merge_entities(self, user_id: str, keep_id: str, merge_id: str,
                       *, reason: str = "") -> MergeRecord:
        return self._write(ops.merge_entities_tx, user_id, keep_id, merge_id, reason, _now())

    def add_mentions(self, user_id: str, links: Iterable[tuple[str, str]]) -> int:
        pairs = set(links)
        if not pairs:
            return 0

        def work(tx) -> int:
            moved = ops.redirects(tx, user_id, {entity for entity, _ in pairs})
            rows = [{"entity_id": e, "source_id": s}
                    for e, s in sorted({(moved.get(e, e), s) for e, s in pairs})]
            summary = tx.run(q.ADD_MENTIONS, user=user_id, rows=rows).consume()
            return summary.counters.nodes_created

        return self._write(work)

    # ---- reads -----------------------------------------------------------------------------
    def get_entities(self, user_id: str, entity_ids: Iterable[str]) -> list[Entity]:
        ids = list(dict.fromkeys(entity_ids))

        def work(tx) -> list[Entity]:
            moved = ops.redirects(tx, user_id, ids)
            targets = list(dict.fromkeys(moved.get(i, i) for i in ids))
            found = ops.load_entities(tx, user_id, targets)
            return [found[i] for i in targets if i in found]

        return self._read(work)

    def get_relations(self, user_id: str, relation_ids: Iterable[str],
                      *, include_history: bool = True) -> list[Relation]:
        p = {"user": user_id, "ids": list(dict.fromkeys(relation_ids)), "history": include_history,
             "now": _now()}

        def work(tx) -> list[Relation]:
            return ops.relations_from_rows(tx, user_id, ops.records(tx, q.RELATIONS_BY_ID, **p))

        return self._read(work)

    def neighbours(self, user_id: str, entity_id: str, *, hops: int = 1,
                   relation_types: Sequence[str] | None = None,
                   include_history: bool = False, limit: int | None = None) -> list[Neighbour]:
        if hops < 1:
            raise InputError(f"hops must be at least 1, got {hops}.")
        p = {"user": user_id, "history": include_history, "now": _now(),
             "types": None if relation_types is None else list(relation_types)}

        def work(tx) -> list[Neighbour]:
            start = ops.redirects(tx, user_id, [entity_id]).get(entity_id, entity_id)
            reached = ops.walk_tx(tx, p, start, hops, limit)
            entities = ops.load_entities(tx, user_id, reached)
            vias = {r.id: r for r in ops.relations_from_rows(
                tx, user_id, [row for _, row in reached.values()])}
            return [Neighbour(entity=entities[eid], hops=depth, via=vias[row["id"]])
                    for eid, (depth, row) in reached.items() if eid in entities]

        out = self._read(work)
        return sorted(out, key=lambda n: (n.hops, -n.via.weight, n.entity.name, n.entity.id))

    def subgraph(self, user_id: str, entity_ids: Iterable[str],
                 *, include_history: bool = False) -> Subgraph:
        ids = list(dict.fromkeys(entity_ids))

        def work(tx) -> Subgraph:
            moved = ops.redirects(tx, user_id, ids)
            targets = list(dict.fromkeys(moved.get(i, i) for i in ids))
            entities = ops.load_entities(tx, user_id, targets)
            rows = ops.records(tx, q.SUBGRAPH_EDGES, user=user_id, ids=sorted(entities),
                               history=include_history, now=_now())
            return Subgraph(entities=tuple(entities[i] for i in targets if i in entities),
                            relations=tuple(ops.relations_from_rows(tx, user_id, rows)))

        return self._read(work)

    def search_entities(self, user_id: str, text: str, *, limit: int = 10) -> list[EntityMatch]:
        query = normalise_name(text)
        if not query or limit < 1:
            return []

        def work(tx) -> list[EntityMatch]:
            best: dict[str, tuple[float, str, str]] = {}
            for kind, cypher in q.NAME_QUERIES:
                for row in tx.run(cypher, user=user_id, q=query, n=limit * 4):
                    score = match_score(kind, query, row["norm"])
                    if score > best.get(row["entity_id"], (-1.0,))[0]:
                        best[row["entity_id"]] = (score, kind, row["name"])
                if len(best) >= limit:
                    break
            entities = ops.load_entities(tx, user_id, best)
            return [EntityMatch(entity=entities[eid], score=score, kind=kind, matched=name)
                    for eid, (score, kind, name) in best.items() if eid in entities]

        matches = self._read(work)
        matches.sort(key=lambda m: (-m.score, m.entity.name, m.entity.id))
        return matches[:limit]

    def list_merges(self, user_id: str) -> list[MergeRecord]:
        rows = self._read(lambda tx: ops.records(tx, q.LIST_MERGES, user=user_id))
        return [MergeRecord(user_id=user_id, kept_id=r["kept_id"], merged_id=r["merged_id"],
                            merged_name=r["merged_name"], merged_at=ops.from_neo4j_time(r["merged_at"]),
                            reason=r["reason"], details=ops.load(r["details"])) for r in rows]

    def stats(self, user_id: str) -> GraphStats:
        def work(tx) -> tuple[list[dict], list[dict], int]:
            entity_rows = ops.records(tx, q.ENTITY_TYPES, user=user_id)
            relation_rows = ops.records(tx, q.RELATION_TYPES, user=user_id, history=False, now=_now())
            merges = tx.run(q.MERGE_COUNT, user=user_id).single()["n"]
            return entity_rows, relation_rows, merges

        entity_rows, relation_rows, merges = self._read(work)
        entity_types = {r["type"]: r["n"] for r in entity_rows}
        relation_types = {r["type"]: r["n"] for r in relation_rows}
        return GraphStats(entities=sum(entity_types.values()), relations=sum(relation_types.values()),
                          valid_relations=sum(r["valid"] for r in relation_rows), merges=merges,
                          entity_types=entity_types, relation_types=relation_types)

    def find_mentions(self, user_id: str, text: str, *, min_chars: int = 4) -> dict[str, str]:
        candidates = [c for c in name_candidates(text) if long_enough_to_link(c, min_chars)]
        if not candidates:
            return {}
        rows = self._read(lambda tx: ops.records(tx, q.FIND_NAMES, user=user_id, candidates=candidates))
        found: dict[str, str] = {}
        for row in rows:
            found.setdefault(row["entity_id"], row["name"])
        return found

    def existing_entities(self, user_id: str, entity_ids: Iterable[str]) -> set[str]:
        ids = sorted(set(entity_ids))
        rows = self._read(lambda tx: ops.records(tx, q.EXISTING_ENTITY_IDS, user=user_id, ids=ids))
        return {row["id"] for row in rows}

    def mentions(self, user_id: str, *, entity_ids: Iterable[str] | None = None,
                 source_ids: Iterable[str] | None = None, topics_only: bool = False,
                 max_per_entity: int | None = None) -> list[tuple[str, str]]:
        if (entity_ids is None) == (source_ids is None):
            raise InputError("mentions() takes entity_ids or source_ids, not both or neither.")
        if max_per_entity is not None and entity_ids is None:
            raise InputError("max_per_entity limits mentions of entity_ids, not of source_ids.")
        if max_per_entity is not None:  # capped on the server, as the SQLite store does
            ids = sorted(set(entity_ids or ()))
            rows = self._read(lambda tx: ops.records(tx, q.MENTIONS_OF_SMALL_ENTITIES, user=user_id,
                                                     ids=ids, topics_only=topics_only,
                                                     max=max_per_entity))
            return [(row["entity_id"], row["source_id"]) for row in rows]
        query, ids = ((q.MENTIONS_OF_ENTITIES, entity_ids) if entity_ids is not None
                      else (q.MENTIONS_IN_SOURCES, source_ids))
        rows = self._read(lambda tx: ops.records(tx, query, user=user_id, ids=list(ids or ()),
                                                 topics_only=topics_only))
        return [(row["entity_id"], row["source_id"]) for row in rows]


def _run_statement(tx, statement: str, params: dict[str, Any] | None = None) -> None:
    tx.run(statement, params or {}).consume()
