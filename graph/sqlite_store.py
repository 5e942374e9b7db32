"""The knowledge graph in the embedded SQLite database: the default ``GraphStore``."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from graph import sqlite_graph_ops as ops
from graph import sqlite_mentions
from graph.errors import InputError
from graph.sqlite_db import SQLiteDatabase, from_db_time, to_db_time, utc_now
from graph.store import (
    DeleteReport,
    EntityMatch,
    GraphStats,
    MergeRecord,
    Neighbour,
    Subgraph,
    breadth_first,
    checked_relations,
    entity_names,
    match_score,
    normalise_name,
    owned_items,
)
from graph.types import Entity, Relation

_UPSERT_ENTITY = (
    "INSERT INTO entities (user_id, id, name, type, properties, created_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, id) DO UPDATE SET "
    "name = excluded.name, type = excluded.type, "
    "properties = json_patch(entities.properties, excluded.properties), "
    "updated_at = excluded.updated_at"
)
_UPSERT_RELATION = (
    "INSERT INTO relations (user_id, id, source_id, target_id, type, weight, base_weight, "
    "properties, valid_from, valid_to, created_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, id) DO UPDATE SET "
    "source_id = excluded.source_id, target_id = excluded.target_id, type = excluded.type, "
    "base_weight = excluded.base_weight, "
    "properties = json_patch(relations.properties, excluded.properties), "
    "valid_from = coalesce(excluded.valid_from, relations.valid_from), "
    "valid_to = coalesce(relations.valid_to, excluded.valid_to), updated_at = excluded.updated_at"
)
_NEIGHBOUR_EDGES = (
    "SELECT * FROM relations r WHERE r.user_id = :user "
    "AND r.source_id IN (SELECT value FROM json_each(:ids)) "
    "AND (:history OR ((r.valid_from IS NULL OR r.valid_from <= :now) "
    "AND (r.valid_to IS NULL OR r.valid_to > :now))) "
    "AND (:types IS NULL OR r.type IN (SELECT value FROM json_each(:types))) "
    "UNION "
    "SELECT * FROM relations r WHERE r.user_id = :user "
    "AND r.target_id IN (SELECT value FROM json_each(:ids)) "
    "AND (:history OR ((r.valid_from IS NULL OR r.valid_from <= :now) "
    "AND (r.valid_to IS NULL OR r.valid_to > :now))) "
    "AND (:types IS NULL OR r.type IN (SELECT value FROM json_each(:types)))"
)
_SUBGRAPH_EDGES = (
    "SELECT * FROM relations r WHERE r.user_id = :user "
    "AND r.source_id IN (SELECT value FROM json_each(:ids)) "
    "AND r.target_id IN (SELECT value FROM json_each(:ids)) "
    "AND (:history OR ((r.valid_from IS NULL OR r.valid_from <= :now) "
    "AND (r.valid_to IS NULL OR r.valid_to > :now))) ORDER BY r.id"
)
_FIND_RELATIONS = (
    "SELECT * FROM relations r WHERE r.user_id = :user AND r.id >= :lower "
    "AND (:upper IS NULL OR r.id < :upper) "
    "AND (:types IS NULL OR r.type IN (SELECT value FROM json_each(:types))) "
    "AND (:sources IS NULL OR r.source_id IN (SELECT value FROM json_each(:sources))) "
    "AND (:history OR ((r.valid_from IS NULL OR r.valid_from <= :now) "
    "AND (r.valid_to IS NULL OR r.valid_to > :now))) ORDER BY r.id"
)
_NAME_QUERIES = (
    ("exact", "SELECT entity_id, name, norm FROM entity_names "
              "WHERE user_id = :user AND norm = :q LIMIT :n"),
    ("prefix", "SELECT entity_id, name, norm FROM entity_names "
               "WHERE user_id = :user AND norm > :q AND norm < :upper ORDER BY length(norm) LIMIT :n"),
    ("contains", "SELECT entity_id, name, norm FROM entity_names "
                 "WHERE user_id = :user AND instr(norm, :q) > 1 ORDER BY length(norm) LIMIT :n"),
)


class SQLiteGraphStore:
    """GraphStore over the tables of a ``SQLiteDatabase`` (shared with documents and keywords).

    Given a path, the store owns its database and ``close()`` closes it; given a shared
    ``SQLiteDatabase``, the caller owns it: ``open()`` opens it if needed, ``close()`` leaves it.
    """

    def __init__(self, db: SQLiteDatabase | str | Path) -> None:
        self._owns_db = not isinstance(db, SQLiteDatabase)
        self.db = SQLiteDatabase(db) if self._owns_db else db

    def open(self) -> None:
        self.db.open()

    def close(self) -> None:
        if self._owns_db:
            self.db.close()

    def upsert_entities(self, user_id: str, entities: Iterable[Entity]) -> int:
        items = owned_items(user_id, entities, Entity)
        if not items:
            return 0
        now = to_db_time(utc_now())
        with self.db.transaction() as conn:
            moved = ops.redirects(conn, user_id, (e.id for e in items))
            rows, names, sources, patches = [], [], [], []
            for e in items:
                target = moved.get(e.id, e.id)
                props = json.dumps(e.properties, ensure_ascii=False)
                if target == e.id:
                    rows.append((user_id, e.id, e.name, e.type, props, now, now))
                else:
                    patches.append((props, now, user_id, target))
                names += [(user_id, target, n, norm) for n, norm in entity_names(e)]
                sources += [(user_id, target, s) for s in e.provenance]
            conn.executemany(_UPSERT_ENTITY, rows)
            conn.executemany("UPDATE entities SET properties = json_patch(properties, ?), "
                             "updated_at = ? WHERE user_id = ? AND id = ?", patches)
            conn.executemany("INSERT OR IGNORE INTO entity_names (user_id, entity_id, name, norm) "
                             "VALUES (?, ?, ?, ?)", names)
            conn.executemany("INSERT OR IGNORE INTO entity_sources (user_id, entity_id, source_id) "
                             "VALUES (?, ?, ?)", sources)
        return len(items)

    def upsert_relations(self, user_id: str, relations: Iterable[Relation]) -> int:
        items = checked_relations(user_id, relations)
        if not items:
            return 0
        now = to_db_time(utc_now())
        with self.db.transaction() as conn:
            moved = ops.redirects(conn, user_id, {x for r in items for x in (r.source_id, r.target_id)})
            ends = {r.id: (moved.get(r.source_id, r.source_id), moved.get(r.target_id, r.target_id))
                    for r in items}
            self._require_entities(conn, user_id, {x for pair in ends.values() for x in pair})
            rows, sources = [], []
            for r in items:
                src, tgt = ends[r.id]
                rows.append((user_id, r.id, src, tgt, r.type, r.weight, r.weight,
                             json.dumps(r.properties, ensure_ascii=False),
                             to_db_time(r.valid_from), to_db_time(r.valid_to), now, now))
                provenance = sorted(set(r.provenance))
                sources += [(user_id, r.id, s, r.weight / len(provenance)) for s in provenance]
            conn.executemany(_UPSERT_RELATION, rows)
            conn.executemany("INSERT INTO relation_sources (user_id, relation_id, source_id, weight) "
                             "VALUES (?, ?, ?, ?) ON CONFLICT (user_id, relation_id, source_id) "
                             "DO UPDATE SET weight = excluded.weight", sources)
            ops.recompute_weights(conn, user_id, ends)
        return len(items)

    @staticmethod
    def _require_entities(conn: sqlite3.Connection, user_id: str, ids: set[str]) -> None:
        found = {row[0] for row in conn.execute(
            "SELECT id FROM entities WHERE user_id = ? AND id IN (SELECT value FROM json_each(?))",
            (user_id, ops.ids_json(ids)))}
        missing = sorted(ids - found)
        if missing:
            raise InputError(f"Relations point at unknown entities {missing[:5]} "
                             f"({len(missing)} in all); upsert those entities first.")

    def get_entities(self, user_id: str, entity_ids: Iterable[str]) -> list[Entity]:
        ids = list(dict.fromkeys(entity_ids))
        with self.db.read() as conn:
            moved = ops.redirects(conn, user_id, ids)
            found = ops.load_entities(conn, user_id, (moved.get(i, i) for i in ids))
        targets = dict.fromkeys(moved.get(i, i) for i in ids)
        return [found[i] for i in targets if i in found]

    def get_relations(self, user_id: str, relation_ids: Iterable[str],
                      *, include_history: bool = True) -> list[Relation]:
        p = {"user": user_id, "ids": ops.ids_json(dict.fromkeys(relation_ids)),
             "history": include_history, "now": to_db_time(utc_now())}
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT * FROM relations r WHERE r.user_id = :user "
                "AND r.id IN (SELECT value FROM json_each(:ids)) "
                "AND (:history OR ((r.valid_from IS NULL OR r.valid_from <= :now) "
                "AND (r.valid_to IS NULL OR r.valid_to > :now))) ORDER BY r.id", p).fetchall()
            return ops.relations_from_rows(conn, user_id, rows)

    def neighbours(self, user_id: str, entity_id: str, *, hops: int = 1,
                   relation_types: Sequence[str] | None = None,
                   include_history: bool = False, limit: int | None = None) -> list[Neighbour]:
        if hops < 1:
            raise InputError(f"hops must be at least 1, got {hops}.")
        p: dict[str, Any] = {"user": user_id, "history": include_history,
                             "now": to_db_time(utc_now()),
                             "types": None if relation_types is None else ops.ids_json(relation_types)}
        with self.db.read() as conn:
            start = ops.redirects(conn, user_id, [entity_id]).get(entity_id, entity_id)
            reached = breadth_first(start, hops, limit, lambda frontier: conn.execute(
                _NEIGHBOUR_EDGES, {**p, "ids": ops.ids_json(frontier)}))
            entities = ops.load_entities(conn, user_id, reached)
            rows = [row for _, row in reached.values()]
            vias = {r.id: r for r in ops.relations_from_rows(conn, user_id, rows)}
        out = [Neighbour(entity=entities[eid], hops=depth, via=vias[row["id"]])
               for eid, (depth, row) in reached.items() if eid in entities]
        return sorted(out, key=lambda n: (n.hops, -n.via.weight, n.entity.name, n.entity.id))


    def subgraph(self, user_id: str, entity_ids: Iterable[str],
                 *, include_history: bool = False) -> Subgraph:
        ids = list(dict.fromkeys(entity_ids))
        with self.db.read() as conn:
            moved = ops.redirects(conn, user_id, ids)
            ids = list(dict.fromkeys(moved.get(i, i) for i in ids))
            entities = ops.load_entities(conn, user_id, ids)
            rows = conn.execute(_SUBGRAPH_EDGES, {
                "user": user_id, "ids": ops.ids_json(entities), "history": include_history,
                "now": to_db_time(utc_now())}).fetchall()
            relations = ops.relations_from_rows(conn, user_id, rows)
        return Subgraph(entities=tuple(entities[i] for i in ids if i in entities),
                        relations=tuple(relations))

    def search_entities(self, user_id: str, text: str, *, limit: int = 10) -> list[EntityMatch]:
        query = normalise_name(text)
        if not query or limit < 1:
            return []
        p = {"user": user_id, "q": query, "upper": query + "\U0010ffff", "n": limit * 4}
        best: dict[str, tuple[float, str, str]] = {}
        with self.db.read() as conn:
            for kind, sql in _NAME_QUERIES:
                for row in conn.execute(sql, p):
                    score = match_score(kind, query, row["norm"])
                    if score > best.get(row["entity_id"], (-1.0,))[0]:
                        best[row["entity_id"]] = (score, kind, row["name"])
                if len(best) >= limit:
                    break
            entities = ops.load_entities(conn, user_id, best)
        matches = [EntityMatch(entity=entities[eid], score=score, kind=kind, matched=name)
                   for eid, (score, kind, name) in best.items() if eid in entities]
        matches.sort(key=lambda m: (-m.score, m.entity.name, m.entity.id))
        return matches[:limit]

    def invalidate_relation(self, user_id: str, relation_id: str,
                            *, at: datetime | None = None) -> bool:
        when = to_db_time(at or utc_now())
        with self.db.transaction() as conn:
            cursor = conn.execute(
                "UPDATE relations SET valid_to = ?, updated_at = ? WHERE user_id = ? AND id = ? "
                "AND (valid_to IS NULL OR valid_to > ?)",
                (when, to_db_time(utc_now()), user_id, relation_id, when))
            return cursor.rowcount > 0

    def find_relations(self, user_id: str, *, types: Iterable[str] | None = None,
                       source_entity_ids: Iterable[str] | None = None, id_prefix: str | None = None,
                       include_history: bool = False) -> list[Relation]:
        p: dict[str, Any] = {"user": user_id, "history": include_history, "now": to_db_time(utc_now()),
                             "types": None if types is None else ops.ids_json(types),
                             "lower": id_prefix or "",
                             "upper": (id_prefix + "\U0010ffff") if id_prefix else None}
        with self.db.read() as conn:
            if source_entity_ids is None:
                p["sources"] = None
            else:
                ids = list(source_entity_ids)
                moved = ops.redirects(conn, user_id, ids)
                p["sources"] = ops.ids_json({moved.get(i, i) for i in ids})
            rows = conn.execute(_FIND_RELATIONS, p).fetchall()
            return ops.relations_from_rows(conn, user_id, rows)

    def delete_relations(self, user_id: str, relation_ids: Iterable[str]) -> DeleteReport:
        with self.db.transaction() as conn:
            return ops.delete_relations(conn, user_id, relation_ids)

    def delete_by_source(self, user_id: str, source_ids: Iterable[str]) -> DeleteReport:
        with self.db.transaction() as conn:
            return ops.delete_sources(conn, user_id, source_ids)

    def merge_entities(self, user_id: str, keep_id: str, merge_id: str,
                       *, reason: str = "") -> MergeRecord:
        with self.db.transaction() as conn:
            return ops.merge_entities(conn, user_id, keep_id, merge_id, reason)

    def list_merges(self, user_id: str) -> list[MergeRecord]:
        with self.db.read() as conn:
            rows = conn.execute("SELECT * FROM merges WHERE user_id = ? ORDER BY pk", (user_id,))
            return [MergeRecord(user_id=user_id, kept_id=row["kept_id"], merged_id=row["merged_id"],
                                merged_name=row["merged_name"],
                                merged_at=from_db_time(row["merged_at"]), reason=row["reason"],
                                details=json.loads(row["details"])) for row in rows]

    def stats(self, user_id: str) -> GraphStats:
        now = to_db_time(utc_now())
        with self.db.read() as conn:
            entity_types = dict(conn.execute(
                "SELECT type, count(*) FROM entities WHERE user_id = ? GROUP BY type ORDER BY type",
                (user_id,)).fetchall())
            relation_types = dict(conn.execute(
                "SELECT type, count(*) FROM relations WHERE user_id = ? GROUP BY type ORDER BY type",
                (user_id,)).fetchall())
            valid = conn.execute(
                "SELECT count(*) FROM relations WHERE user_id = ? "
                "AND (valid_from IS NULL OR valid_from <= ?) AND (valid_to IS NULL OR valid_to > ?)",
                (user_id, now, now)).fetchone()[0]
            merges = conn.execute("SELECT count(*) FROM merges WHERE user_id = ?",
                                  (user_id,)).fetchone()[0]
        return GraphStats(entities=sum(entity_types.values()), relations=sum(relation_types.values()),
                          valid_relations=valid, merges=merges, entity_types=entity_types,
                          relation_types=relation_types)

    def find_mentions(self, user_id: str, text: str, *, min_chars: int = 4) -> dict[str, str]:
        with self.db.read() as conn:
            return sqlite_mentions.find_mentions(conn, user_id, text, min_chars)

    def add_mentions(self, user_id: str, links: Iterable[tuple[str, str]]) -> int:
        with self.db.transaction() as conn:
            return sqlite_mentions.add_mentions(conn, user_id, links)

    def existing_entities(self, user_id: str, entity_ids: Iterable[str]) -> set[str]:
        with self.db.read() as conn:
            return sqlite_mentions.existing_entities(conn, user_id, entity_ids)

    def mentions(self, user_id: str, *, entity_ids: Iterable[str] | None = None,
                 source_ids: Iterable[str] | None = None, topics_only: bool = False,
                 max_per_entity: int | None = None) -> list[tuple[str, str]]:
        with self.db.read() as conn:
            return sqlite_mentions.mentions(conn, user_id, entity_ids, source_ids, topics_only,
                                            max_per_entity)
