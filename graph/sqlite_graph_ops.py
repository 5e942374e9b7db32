"""Row loading and multi-statement graph operations on an open SQLite connection.

Functions here take a connection that is already inside the caller's transaction, so the
document store can delete a document's chunks and their graph provenance atomically.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable

from graph.sqlite_db import from_db_time, to_db_time, utc_now
from graph.store import DeleteReport, MergeRecord, check_mergeable
from graph.types import Entity, Relation


def ids_json(ids: Iterable[str]) -> str:
    """A JSON array parameter, expanded in SQL with ``json_each(?)``."""
    return json.dumps(list(ids), ensure_ascii=False)


def redirects(conn: sqlite3.Connection, user_id: str, ids: Iterable[str]) -> dict[str, str]:
    """merged-away id -> the id it was merged into (chains are flattened at merge time)."""
    rows = conn.execute(
        "SELECT merged_id, kept_id FROM merges WHERE user_id = ? "
        "AND merged_id IN (SELECT value FROM json_each(?)) ORDER BY pk",
        (user_id, ids_json(set(ids))),
    )
    return {row[0]: row[1] for row in rows}


def load_entities(conn: sqlite3.Connection, user_id: str, ids: Iterable[str]) -> dict[str, Entity]:
    wanted = ids_json(set(ids))
    names: dict[str, list[str]] = defaultdict(list)
    for row in conn.execute(
        "SELECT entity_id, name FROM entity_names WHERE user_id = ? "
        "AND entity_id IN (SELECT value FROM json_each(?)) ORDER BY entity_id, name",
        (user_id, wanted),
    ):
        names[row[0]].append(row[1])
    sources = _sources(conn, "SELECT entity_id, source_id FROM entity_sources WHERE user_id = ? "
                       "AND entity_id IN (SELECT value FROM json_each(?)) ORDER BY entity_id, source_id",
                       user_id, wanted)
    out: dict[str, Entity] = {}
    for row in conn.execute(
        "SELECT id, name, type, properties FROM entities WHERE user_id = ? "
        "AND id IN (SELECT value FROM json_each(?))",
        (user_id, wanted),
    ):
        out[row["id"]] = Entity(
            id=row["id"], user_id=user_id, name=row["name"], type=row["type"],
            aliases=tuple(n for n in names[row["id"]] if n != row["name"]),
            properties=json.loads(row["properties"]), provenance=sources.get(row["id"], ()),
        )
    return out


def _sources(conn: sqlite3.Connection, sql: str, user_id: str, wanted: str) -> dict[str, tuple]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for row in conn.execute(sql, (user_id, wanted)):
        grouped[row[0]].append(row[1])
    return {key: tuple(value) for key, value in grouped.items()}


def relations_from_rows(conn: sqlite3.Connection, user_id: str,
                        rows: list[sqlite3.Row]) -> list[Relation]:
    sources = _sources(conn, "SELECT relation_id, source_id FROM relation_sources WHERE user_id = ? "
                       "AND relation_id IN (SELECT value FROM json_each(?)) "
                       "ORDER BY relation_id, source_id",
                       user_id, ids_json({row["id"] for row in rows}))
    return [
        Relation(
            id=row["id"], user_id=user_id, source_id=row["source_id"], target_id=row["target_id"],
            type=row["type"], weight=row["weight"], properties=json.loads(row["properties"]),
            valid_from=from_db_time(row["valid_from"]), valid_to=from_db_time(row["valid_to"]),
            provenance=sources.get(row["id"], ()),
        )
        for row in rows
    ]


def recompute_weights(conn: sqlite3.Connection, user_id: str, relation_ids: Iterable[str]) -> None:
    conn.execute(
        "UPDATE relations SET weight = coalesce((SELECT sum(s.weight) FROM relation_sources s "
        "WHERE s.user_id = relations.user_id AND s.relation_id = relations.id), base_weight) "
        "WHERE user_id = ? AND id IN (SELECT value FROM json_each(?))",
        (user_id, ids_json(set(relation_ids))),
    )


def delete_sources(conn: sqlite3.Connection, user_id: str, source_ids: Iterable[str]) -> DeleteReport:
    """Remove provenance ids; delete what is left without any.

    Relations left without provenance are deleted. Entities that lost provenance or a
    relation here and now have neither provenance nor relations are deleted; an entity that
    never had provenance is only deleted once it has lost its last relation this way.
    """
    sources = ids_json(set(source_ids))
    params = (user_id, sources)
    touched_relations = [row[0] for row in conn.execute(
        "SELECT DISTINCT relation_id FROM relation_sources WHERE user_id = ? "
        "AND source_id IN (SELECT value FROM json_each(?))", params)]
    touched_entities = [row[0] for row in conn.execute(
        "SELECT DISTINCT entity_id FROM entity_sources WHERE user_id = ? "
        "AND source_id IN (SELECT value FROM json_each(?))", params)]
    conn.execute("DELETE FROM relation_sources WHERE user_id = ? "
                 "AND source_id IN (SELECT value FROM json_each(?))", params)
    conn.execute("DELETE FROM entity_sources WHERE user_id = ? "
                 "AND source_id IN (SELECT value FROM json_each(?))", params)
    dead_relations = [row[0] for row in conn.execute(
        "SELECT id FROM relations r WHERE r.user_id = ? AND r.id IN (SELECT value FROM json_each(?)) "
        "AND NOT EXISTS (SELECT 1 FROM relation_sources s "
        "WHERE s.user_id = r.user_id AND s.relation_id = r.id)",
        (user_id, ids_json(touched_relations)))]
    dead = (user_id, ids_json(dead_relations))
    touched_entities += [x for row in conn.execute(
        "SELECT source_id, target_id FROM relations WHERE user_id = ? "
        "AND id IN (SELECT value FROM json_each(?))", dead) for x in row]
    conn.execute("DELETE FROM relations WHERE user_id = ? AND id IN (SELECT value FROM json_each(?))",
                 dead)
    recompute_weights(conn, user_id, set(touched_relations) - set(dead_relations))
    dead_entities = _delete_orphans(conn, user_id, touched_entities)
    return DeleteReport(entity_ids=tuple(sorted(dead_entities)),
                        relation_ids=tuple(sorted(dead_relations)))


def delete_relations(conn: sqlite3.Connection, user_id: str, relation_ids: Iterable[str]) -> DeleteReport:
    """Delete relations and their provenance; then entities at their ends left with neither."""
    p = (user_id, ids_json(set(relation_ids)))
    rows = conn.execute("SELECT id, source_id, target_id FROM relations WHERE user_id = ? "
                        "AND id IN (SELECT value FROM json_each(?))", p).fetchall()
    conn.execute("DELETE FROM relation_sources WHERE user_id = ? "
                 "AND relation_id IN (SELECT value FROM json_each(?))", p)
    conn.execute("DELETE FROM relations WHERE user_id = ? AND id IN (SELECT value FROM json_each(?))", p)
    dead_entities = _delete_orphans(conn, user_id, [row[end] for row in rows for end in (1, 2)])
    return DeleteReport(entity_ids=tuple(sorted(dead_entities)),
                        relation_ids=tuple(sorted(row[0] for row in rows)))


def _delete_orphans(conn: sqlite3.Connection, user_id: str, entity_ids: Iterable[str]) -> list[str]:
    """Delete those of these entities that have neither provenance nor relations; their ids."""
    dead_entities = [row[0] for row in conn.execute(
        "SELECT id FROM entities e WHERE e.user_id = ? AND e.id IN (SELECT value FROM json_each(?)) "
        "AND NOT EXISTS (SELECT 1 FROM entity_sources s WHERE s.user_id = e.user_id "
        "AND s.entity_id = e.id) "
        "AND NOT EXISTS (SELECT 1 FROM relations r WHERE r.user_id = e.user_id AND r.source_id = e.id) "
        "AND NOT EXISTS (SELECT 1 FROM relations r WHERE r.user_id = e.user_id AND r.target_id = e.id)",
        (user_id, ids_json(set(entity_ids))))]
    conn.execute("DELETE FROM entities WHERE user_id = ? AND id IN (SELECT value FROM json_each(?))",
                 (user_id, ids_json(dead_entities)))
    return dead_entities


def merge_entities(conn: sqlite3.Connection, user_id: str, keep_id: str, merge_id: str,
                   reason: str) -> MergeRecord:
    """Merge entity ``merge_id`` into ``keep_id``: names, provenance, properties, relations."""
    found = load_entities(conn, user_id, (keep_id, merge_id)) if keep_id != merge_id else {}
    check_mergeable(keep_id, merge_id, found)
    p = {"user": user_id, "keep": keep_id, "merge": merge_id, "now": to_db_time(utc_now())}
    conn.execute("INSERT OR IGNORE INTO entity_names (user_id, entity_id, name, norm) "
                 "SELECT user_id, :keep, name, norm FROM entity_names "
                 "WHERE user_id = :user AND entity_id = :merge", p)
    conn.execute("INSERT OR IGNORE INTO entity_sources (user_id, entity_id, source_id) "
                 "SELECT user_id, :keep, source_id FROM entity_sources "
                 "WHERE user_id = :user AND entity_id = :merge", p)
    conn.execute("UPDATE entities SET properties = json_patch((SELECT m.properties FROM entities m "
                 "WHERE m.user_id = :user AND m.id = :merge), properties), updated_at = :now "
                 "WHERE user_id = :user AND id = :keep", p)
    dropped = conn.execute("DELETE FROM relations WHERE user_id = :user AND ((source_id = :keep "
                           "AND target_id = :merge) OR (source_id = :merge AND target_id = :keep))",
                           p).rowcount
    moved = [row[0] for row in conn.execute(
        "SELECT id FROM relations WHERE user_id = :user AND (source_id = :merge OR target_id = :merge)",
        p)]
    conn.execute("UPDATE relations SET source_id = :keep, updated_at = :now "
                 "WHERE user_id = :user AND source_id = :merge", p)
    conn.execute("UPDATE relations SET target_id = :keep, updated_at = :now "
                 "WHERE user_id = :user AND target_id = :merge", p)
    folded = sum(_fold_duplicate(conn, user_id, relation_id) for relation_id in moved)
    conn.execute("DELETE FROM entities WHERE user_id = :user AND id = :merge", p)
    conn.execute("UPDATE merges SET kept_id = :keep WHERE user_id = :user AND kept_id = :merge", p)
    merged = found[merge_id]
    details = {"name": merged.name, "type": merged.type, "aliases": list(merged.aliases),
               "relations_moved": len(moved), "relations_folded": folded,
               "relations_dropped": dropped}
    conn.execute("INSERT INTO merges (user_id, kept_id, merged_id, merged_name, merged_at, reason, "
                 "details) VALUES (?, ?, ?, ?, ?, ?, ?)",
                 (user_id, keep_id, merge_id, merged.name, p["now"], reason,
                  json.dumps(details, ensure_ascii=False)))
    return MergeRecord(user_id=user_id, kept_id=keep_id, merged_id=merge_id,
                       merged_name=merged.name, merged_at=from_db_time(p["now"]),
                       reason=reason, details=details)


def _fold_duplicate(conn: sqlite3.Connection, user_id: str, relation_id: str) -> int:
    """After re-pointing, fold a valid relation into an older valid one with the same triple."""
    row = conn.execute(
        "SELECT d.id FROM relations r JOIN relations d ON d.user_id = r.user_id "
        "AND d.source_id = r.source_id AND d.target_id = r.target_id AND d.type = r.type "
        "AND d.id != r.id AND d.valid_to IS NULL "
        "WHERE r.user_id = ? AND r.id = ? AND r.valid_to IS NULL ORDER BY d.created_at, d.id LIMIT 1",
        (user_id, relation_id)).fetchone()
    if row is None:
        return 0
    p = {"user": user_id, "into": row[0], "dup": relation_id}
    conn.execute("INSERT INTO relation_sources (user_id, relation_id, source_id, weight) "
                 "SELECT user_id, :into, source_id, weight FROM relation_sources "
                 "WHERE user_id = :user AND relation_id = :dup "
                 "ON CONFLICT (user_id, relation_id, source_id) "
                 "DO UPDATE SET weight = relation_sources.weight + excluded.weight", p)
    conn.execute("UPDATE relations SET base_weight = base_weight + (SELECT d.base_weight "
                 "FROM relations d WHERE d.user_id = :user AND d.id = :dup), "
                 "properties = json_patch((SELECT d.properties FROM relations d "
                 "WHERE d.user_id = :user AND d.id = :dup), properties) "
                 "WHERE user_id = :user AND id = :into", p)
    conn.execute("DELETE FROM relations WHERE user_id = :user AND id = :dup", p)
    recompute_weights(conn, user_id, [row[0]])
    return 1
