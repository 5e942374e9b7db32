"""Reading out and writing back a user's graph in Neo4j, node by node with every property that
carries meaning, for ``congming export`` / ``congming import`` (see ``graph.migrate``; the
records are those of ``graph.sqlite_dump``). Reads page by id in read transactions; writes are
batched ``UNWIND ... MERGE`` in write transactions, so running a load twice changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from graph.neo4j_ops import from_neo4j_time, to_neo4j_time
from graph.neo4j_store import Neo4jGraphStore
from graph.store import normalise_name

PAGE = 1000

USERS = ("MATCH (e:Entity) RETURN DISTINCT e.user_id AS user "
         "UNION MATCH (m:Merge) RETURN DISTINCT m.user_id AS user")
ENTITY_PAGE = (
    "MATCH (e:Entity {user_id: $user}) WHERE e.id > $after "
    "RETURN e.id AS id, e.name AS name, e.type AS type, e.properties AS properties, "
    "e.created_at AS created_at, e.updated_at AS updated_at ORDER BY e.id LIMIT $n"
)
ENTITY_NAMES = ("MATCH (n:EntityName {user_id: $user}) WHERE n.entity_id IN $ids "
                "RETURN n.entity_id AS owner, n.name AS value ORDER BY owner, value")
ENTITY_SOURCES = ("MATCH (s:EntitySource {user_id: $user}) WHERE s.entity_id IN $ids "
                  "RETURN s.entity_id AS owner, s.source_id AS value ORDER BY owner, value")
RELATION_PAGE = (
    "MATCH (s:Entity {user_id: $user})-[r:RELATED {user_id: $user}]->(t:Entity) WHERE r.id > $after "
    "RETURN r.id AS id, s.id AS source_id, t.id AS target_id, r.type AS type, r.weight AS weight, "
    "r.base_weight AS base_weight, r.properties AS properties, r.valid_from AS valid_from, "
    "r.valid_to AS valid_to, r.created_at AS created_at, r.updated_at AS updated_at "
    "ORDER BY r.id LIMIT $n"
)
RELATION_SOURCES = ("MATCH (s:RelationSource {user_id: $user}) WHERE s.relation_id IN $ids "
                    "RETURN s.relation_id AS owner, s.source_id AS value, s.weight AS weight "
                    "ORDER BY owner, value")
MERGES = (
    "MATCH (m:Merge {user_id: $user}) RETURN m.kept_id AS kept_id, m.merged_id AS merged_id, "
    "m.merged_name AS merged_name, m.merged_at AS merged_at, m.reason AS reason, "
    "m.details AS details ORDER BY m.seq"
)

LOAD_ENTITIES = (
    "UNWIND $rows AS row MERGE (e:Entity {user_id: $user, id: row.id}) "
    "SET e.name = row.name, e.type = row.type, e.properties = row.properties, e.topic = row.topic, "
    "e.created_at = row.created_at, e.updated_at = row.updated_at"
)
LOAD_NAMES = ("UNWIND $rows AS row MERGE (n:EntityName {user_id: $user, entity_id: row.entity_id, "
              "name: row.name}) SET n.norm = row.norm")
LOAD_ENTITY_SOURCES = ("UNWIND $rows AS row MERGE (:EntitySource {user_id: $user, "
                       "entity_id: row.entity_id, source_id: row.source_id})")
LOAD_RELATIONS = (
    "UNWIND $rows AS row "
    "MATCH (s:Entity {user_id: $user, id: row.source_id}), (t:Entity {user_id: $user, id: row.target_id}) "
    "MERGE (s)-[r:RELATED {user_id: $user, id: row.id}]->(t) "
    "SET r.type = row.type, r.weight = row.weight, r.base_weight = row.base_weight, "
    "r.properties = row.properties, r.valid_from = row.valid_from, r.valid_to = row.valid_to, "
    "r.created_at = row.created_at, r.updated_at = row.updated_at"
)
LOAD_RELATION_SOURCES = ("UNWIND $rows AS row MERGE (s:RelationSource {user_id: $user, "
                         "relation_id: row.relation_id, source_id: row.source_id}) SET s.weight = row.weight")
LOAD_MERGES = (
    "UNWIND $rows AS row MERGE (m:Merge {user_id: $user, seq: row.seq}) "
    "SET m.kept_id = row.kept_id, m.merged_id = row.merged_id, m.merged_name = row.merged_name, "
    "m.merged_at = row.merged_at, m.reason = row.reason, m.details = row.details"
)


def iso(value: Any) -> str | None:
    """A Cypher DATETIME (or a datetime) as the export writes it: ISO-8601 UTC, microseconds."""
    moment = from_neo4j_time(value)
    return None if moment is None else moment.isoformat(timespec="microseconds")


def cypher_time(text: str | None) -> datetime | None:
    return None if text is None else to_neo4j_time(datetime.fromisoformat(text))


def _json(text: str | None) -> Any:
    return json.loads(text) if text else {}


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


class Neo4jGraphDump:
    """The Neo4j graph's nodes and relationships, read out and written back exactly."""

    def __init__(self, store: Neo4jGraphStore) -> None:
        self.store = store

    def _rows(self, query: str, **params: Any) -> list[dict[str, Any]]:
        return self.store.run_read(lambda tx: [r.data() for r in tx.run(query, params)])

    def _write(self, query: str, user_id: str, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.store.run_write(lambda tx: tx.run(query, {"user": user_id, "rows": rows}).consume())

    def _pages(self, query: str, user_id: str) -> Iterator[list[dict[str, Any]]]:
        after = ""
        while rows := self._rows(query, user=user_id, after=after, n=PAGE):
            yield rows
            after = rows[-1]["id"]

    def _grouped(self, query: str, user_id: str, ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for row in self._rows(query, user=user_id, ids=ids):
            out.setdefault(row["owner"], []).append(row)
        return out

    def users(self) -> set[str]:
        return {row["user"] for row in self._rows(USERS)}

    def entities(self, user_id: str) -> Iterator[dict[str, Any]]:
        for rows in self._pages(ENTITY_PAGE, user_id):
            ids = [r["id"] for r in rows]
            names = self._grouped(ENTITY_NAMES, user_id, ids)
            sources = self._grouped(ENTITY_SOURCES, user_id, ids)
            for r in rows:
                yield {"user_id": user_id, "id": r["id"], "name": r["name"], "type": r["type"],
                       "properties": _json(r["properties"]),
                       "names": [n["value"] for n in names.get(r["id"], [])],
                       "sources": [s["value"] for s in sources.get(r["id"], [])],
                       "created_at": iso(r["created_at"]), "updated_at": iso(r["updated_at"])}

    def relations(self, user_id: str) -> Iterator[dict[str, Any]]:
        for rows in self._pages(RELATION_PAGE, user_id):
            sources = self._grouped(RELATION_SOURCES, user_id, [r["id"] for r in rows])
            for r in rows:
                yield {"user_id": user_id, "id": r["id"], "source_id": r["source_id"],
                       "target_id": r["target_id"], "type": r["type"], "weight": r["weight"],
                       "base_weight": r["base_weight"], "properties": _json(r["properties"]),
                       **{k: iso(r[k]) for k in ("valid_from", "valid_to", "created_at", "updated_at")},
                       "sources": [[s["value"], s["weight"]] for s in sources.get(r["id"], [])]}

    def merges(self, user_id: str) -> Iterator[dict[str, Any]]:
        for seq, r in enumerate(self._rows(MERGES, user=user_id), start=1):
            yield {"user_id": user_id, "seq": seq, "kept_id": r["kept_id"], "merged_id": r["merged_id"],
                   "merged_name": r["merged_name"], "merged_at": iso(r["merged_at"]),
                   "reason": r["reason"], "details": _json(r["details"])}

    def load_entities(self, rows: list[dict[str, Any]]) -> None:
        for user_id, mine in _by_user(rows):
            self._write(LOAD_ENTITIES, user_id, [
                {"id": r["id"], "name": r["name"], "type": r["type"], "properties": _dump(r["properties"]),
                 "topic": bool(r["properties"].get("topic")), "created_at": cypher_time(r["created_at"]),
                 "updated_at": cypher_time(r["updated_at"])} for r in mine])
            self._write(LOAD_NAMES, user_id, [{"entity_id": r["id"], "name": n, "norm": normalise_name(n)}
                                              for r in mine for n in r["names"]])
            self._write(LOAD_ENTITY_SOURCES, user_id, [{"entity_id": r["id"], "source_id": s}
                                                       for r in mine for s in r["sources"]])

    def load_relations(self, rows: list[dict[str, Any]]) -> None:
        for user_id, mine in _by_user(rows):
            self._write(LOAD_RELATIONS, user_id, [
                {"id": r["id"], "source_id": r["source_id"], "target_id": r["target_id"], "type": r["type"],
                 "weight": r["weight"], "base_weight": r["base_weight"], "properties": _dump(r["properties"]),
                 **{k: cypher_time(r[k]) for k in ("valid_from", "valid_to", "created_at", "updated_at")}}
                for r in mine])
            self._write(LOAD_RELATION_SOURCES, user_id, [
                {"relation_id": r["id"], "source_id": s, "weight": w} for r in mine for s, w in r["sources"]])

    def load_merges(self, rows: list[dict[str, Any]]) -> None:
        for user_id, mine in _by_user(rows):
            self._write(LOAD_MERGES, user_id, [
                {"seq": r["seq"], "kept_id": r["kept_id"], "merged_id": r["merged_id"],
                 "merged_name": r["merged_name"], "merged_at": cypher_time(r["merged_at"]),
                 "reason": r["reason"], "details": _dump(r["details"])} for r in mine])


def _by_user(rows: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    users: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        users.setdefault(row["user_id"], []).append(row)
    return list(users.items())
