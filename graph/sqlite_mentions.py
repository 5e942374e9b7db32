"""Entity mentions in the SQLite graph: dictionary linking and the entity-source pairs."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

from graph.sqlite_graph_ops import ids_json
from graph.store import name_candidates

_CJK_START = "\u3400"


def _long_enough(name: str, min_chars: int) -> bool:
    cjk = any(ch >= _CJK_START for ch in name)
    return len(name) >= (2 if cjk else min_chars)


def find_mentions(conn: sqlite3.Connection, user_id: str, text: str, min_chars: int) -> dict[str, str]:
    candidates = [c for c in name_candidates(text) if _long_enough(c, min_chars)]
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
    pairs = sorted(set(links))
    if not pairs:
        return 0
    before = conn.total_changes
    conn.executemany(
        "INSERT OR IGNORE INTO entity_sources (user_id, entity_id, source_id) "
        "SELECT ?, id, ? FROM entities WHERE user_id = ? AND id = ?",
        ((user_id, source, user_id, entity) for entity, source in pairs))
    return conn.total_changes - before


def mentions(conn: sqlite3.Connection, user_id: str, entity_ids: Iterable[str] | None,
             source_ids: Iterable[str] | None) -> list[tuple[str, str]]:
    if (entity_ids is None) == (source_ids is None):
        raise ValueError("mentions() takes entity_ids or source_ids, not both or neither.")
    column, ids = ("entity_id", entity_ids) if entity_ids is not None else ("source_id", source_ids)
    sql = {
        "entity_id": "SELECT entity_id, source_id FROM entity_sources WHERE user_id = ? "
                     "AND entity_id IN (SELECT value FROM json_each(?))",
        "source_id": "SELECT entity_id, source_id FROM entity_sources WHERE user_id = ? "
                     "AND source_id IN (SELECT value FROM json_each(?))",
    }[column]
    return [(row[0], row[1]) for row in conn.execute(sql, (user_id, ids_json(ids)))]
