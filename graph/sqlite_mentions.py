"""Entity mentions in the SQLite graph: dictionary linking and the entity-source pairs."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

from graph.errors import InputError
from graph.sqlite_graph_ops import ids_json, redirects
from graph.store import long_enough_to_link, name_candidates


def find_mentions(conn: sqlite3.Connection, user_id: str, text: str, min_chars: int) -> dict[str, str]:
    candidates = [c for c in name_candidates(text) if long_enough_to_link(c, min_chars)]
    if not candidates:
        return {}
    rows = conn.execute(
        "SELECT entity_id, name FROM entity_names WHERE user_id = ? "
        "AND norm IN (SELECT value FROM json_each(?)) ORDER BY length(name) DESC",
        (user_id, json.dumps(candidates, ensure_ascii=False)))
    found: dict[str, str] = {}
    for entity_id, name in rows:
        found.setdefault(entity_id, name)
    return found


def add_mentions(conn: sqlite3.Connection, user_id: str, links: Iterable[tuple[str, str]]) -> int:
    pairs = set(links)
    if not pairs:
        return 0
    moved = redirects(conn, user_id, {entity for entity, _ in pairs})
    pairs = sorted({(moved.get(entity, entity), source) for entity, source in pairs})
    before = conn.total_changes
    conn.executemany(
        "INSERT OR IGNORE INTO entity_sources (user_id, entity_id, source_id) "
        "SELECT ?, id, ? FROM entities WHERE user_id = ? AND id = ?",
        ((user_id, source, user_id, entity) for entity, source in pairs))
    return conn.total_changes - before


def existing_entities(conn: sqlite3.Connection, user_id: str, entity_ids: Iterable[str]) -> set[str]:
    rows = conn.execute("SELECT id FROM entities WHERE user_id = ? "
                        "AND id IN (SELECT value FROM json_each(?))", (user_id, ids_json(entity_ids)))
    return {row[0] for row in rows}


# Entities mentioned in at most ? sources; the inner LIMIT stops counting a popular entity early.
_SMALL_ENTITIES = (
    "SELECT s.entity_id, s.source_id FROM json_each(?) AS w CROSS JOIN entity_sources s "
    "ON s.user_id = ? AND s.entity_id = w.value "
    "WHERE (SELECT count(*) FROM (SELECT 1 FROM entity_sources x WHERE x.user_id = ? "
    "AND x.entity_id = w.value LIMIT ?)) <= ?"
)


def mentions(conn: sqlite3.Connection, user_id: str, entity_ids: Iterable[str] | None,
             source_ids: Iterable[str] | None, topics_only: bool = False,
             max_per_entity: int | None = None) -> list[tuple[str, str]]:
    if (entity_ids is None) == (source_ids is None):
        raise InputError("mentions() takes entity_ids or source_ids, not both or neither.")
    if max_per_entity is not None:
        if entity_ids is None:
            raise InputError("max_per_entity limits mentions of entity_ids, not of source_ids.")
        rows = conn.execute(_SMALL_ENTITIES, (ids_json(dict.fromkeys(entity_ids)), user_id, user_id,
                                              max_per_entity + 1, max_per_entity)).fetchall()
        if topics_only:
            topics = _topics(conn, user_id, {row[0] for row in rows})
            rows = [row for row in rows if row[0] in topics]
        return [(row[0], row[1]) for row in rows]
    column, ids = ("entity_id", entity_ids) if entity_ids is not None else ("source_id", source_ids)
    sql = {
        "entity_id": "SELECT s.entity_id, s.source_id FROM entity_sources s WHERE s.user_id = ? "
                     "AND s.entity_id IN (SELECT value FROM json_each(?))",
        "source_id": "SELECT s.entity_id, s.source_id FROM entity_sources s WHERE s.user_id = ? "
                     "AND s.source_id IN (SELECT value FROM json_each(?))",
    }[column]
    if topics_only:
        sql += (" AND EXISTS (SELECT 1 FROM entities e WHERE e.user_id = s.user_id "
                "AND e.id = s.entity_id AND json_extract(e.properties, '$.topic'))")
    return [(row[0], row[1]) for row in conn.execute(sql, (user_id, ids_json(ids)))]


def _topics(conn: sqlite3.Connection, user_id: str, entity_ids: set[str]) -> set[str]:
    rows = conn.execute("SELECT id FROM entities WHERE user_id = ? AND id IN "
                        "(SELECT value FROM json_each(?)) AND json_extract(properties, '$.topic')",
                        (user_id, ids_json(entity_ids)))
    return {row[0] for row in rows}
