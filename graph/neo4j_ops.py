"""Transaction functions of the Neo4j graph store.

Each ``*_tx`` function takes a managed transaction as its first argument, so the driver may
run it again on a transient error: they only read what they need inside the transaction and
write idempotently (MERGE, or delete-then-create of the same rows).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from graph import neo4j_queries as q
from graph.errors import InputError
from graph.store import DeleteReport, MergeRecord, breadth_first, check_mergeable
from graph.types import Entity, Relation


def to_neo4j_time(value: datetime | None) -> datetime | None:
    """Aware UTC for the driver (sent as a Cypher DATETIME); naive datetimes are taken as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def from_neo4j_time(value: Any) -> datetime | None:
    """A Cypher DATETIME as read by the driver (``neo4j.time.DateTime``) to an aware UTC datetime."""
    if value is None:
        return None
    native = value.to_native() if hasattr(value, "to_native") else value
    return to_neo4j_time(native)


def merge_patch(target: dict, patch: dict) -> dict:
    """JSON merge patch (RFC 7386, as SQLite's json_patch): patch keys win, null removes a key,
    nested objects merge."""
    out = dict(target)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_patch(out[key], value)
        else:
            out[key] = value
    return out


def dump(properties: dict) -> str:
    return json.dumps(properties, ensure_ascii=False, sort_keys=True)


def load(text: str | None) -> dict:
    return json.loads(text) if text else {}


def redirects(tx, user_id: str, ids: Iterable[str]) -> dict[str, str]:
    """merged-away id -> the id it was merged into (chains are flattened at merge time)."""
    return {row["merged_id"]: row["kept_id"]
            for row in tx.run(q.REDIRECTS, user=user_id, ids=sorted(set(ids)))}


def load_entities(tx, user_id: str, ids: Iterable[str]) -> dict[str, Entity]:
    out: dict[str, Entity] = {}
    for row in tx.run(q.ENTITY_ROWS, user=user_id, ids=sorted(set(ids))):
        out[row["id"]] = Entity(
            id=row["id"], user_id=user_id, name=row["name"], type=row["type"],
            aliases=tuple(sorted(n for n in set(row["names"]) if n != row["name"])),
            properties=load(row["properties"]), provenance=tuple(sorted(set(row["sources"]))))
    return out


def relations_from_rows(tx, user_id: str, rows: list[dict]) -> list[Relation]:
    sources: dict[str, list[str]] = defaultdict(list)
    for row in tx.run(q.RELATION_SOURCES, user=user_id, ids=sorted({r["id"] for r in rows})):
        sources[row["relation_id"]].append(row["source_id"])
    return [
        Relation(id=r["id"], user_id=user_id, source_id=r["source_id"], target_id=r["target_id"],
                 type=r["type"], weight=r["weight"], properties=load(r["properties"]),
                 valid_from=from_neo4j_time(r["valid_from"]), valid_to=from_neo4j_time(r["valid_to"]),
                 provenance=tuple(sorted(sources.get(r["id"], ()))))
        for r in rows
    ]


def records(tx, query: str, **params: Any) -> list[dict]:
    return [record.data() for record in tx.run(query, **params)]


# ---- upserts -----------------------------------------------------------------------------
def upsert_entities_tx(tx, user_id: str, items: list[Entity],
                       names: list[list[tuple[str, str]]], now: datetime) -> None:
    """``names[i]`` holds ``(name, normalised name)`` of ``items[i]``'s name and aliases."""
    moved = redirects(tx, user_id, (e.id for e in items))
    current = {row["id"]: load(row["properties"]) for row in tx.run(
        q.ENTITY_PROPERTIES, user=user_id, ids=sorted({moved.get(e.id, e.id) for e in items}))}
    rows, patches, name_rows, source_rows = [], [], [], []
    for e, entity_names in zip(items, names, strict=True):
        target = moved.get(e.id, e.id)
        props = current[target] = merge_patch(current.get(target, {}), e.properties)
        row = {"id": target, "properties": dump(props), "topic": bool(props.get("topic"))}
        if target == e.id:
            rows.append({**row, "name": e.name, "type": e.type})
        else:
            patches.append(row)
        name_rows += [{"entity_id": target, "name": n, "norm": norm} for n, norm in entity_names]
        source_rows += [{"entity_id": target, "source_id": s} for s in e.provenance]
    tx.run(q.UPSERT_ENTITIES, user=user_id, rows=rows, now=now).consume()
    tx.run(q.PATCH_ENTITIES, user=user_id, rows=patches, now=now).consume()
    tx.run(q.MERGE_NAMES, user=user_id, rows=name_rows).consume()
    tx.run(q.MERGE_ENTITY_SOURCES, user=user_id, rows=source_rows).consume()


def _first(value: Any, default: Any) -> Any:
    """``coalesce``: the value unless it is None (a stored time is never taken as false)."""
    return default if value is None else value


def upsert_relations_tx(tx, user_id: str, items: list[Relation], now: datetime) -> None:
    moved = redirects(tx, user_id, {x for r in items for x in (r.source_id, r.target_id)})
    ends = {r.id: (moved.get(r.source_id, r.source_id), moved.get(r.target_id, r.target_id))
            for r in items}
    wanted = {x for pair in ends.values() for x in pair}
    found = {row["id"] for row in tx.run(q.EXISTING_ENTITY_IDS, user=user_id, ids=sorted(wanted))}
    missing = sorted(wanted - found)
    if missing:
        raise InputError(f"Relations point at unknown entities {missing[:5]} "
                         f"({len(missing)} in all); upsert those entities first.")
    state = {row["id"]: row for row in records(tx, q.RELATION_STATE, user=user_id, ids=sorted(ends))}
    rows, sources = [], []
    for r in items:
        old = state.get(r.id, {})
        props = merge_patch(load(old.get("properties")), r.properties)
        state[r.id] = {**old, "properties": dump(props),
                       "valid_from": _first(to_neo4j_time(r.valid_from), old.get("valid_from")),
                       "valid_to": _first(old.get("valid_to"), to_neo4j_time(r.valid_to)),
                       "created_at": _first(old.get("created_at"), now)}
        src, tgt = ends[r.id]
        rows.append({"id": r.id, "source_id": src, "target_id": tgt, "type": r.type, "weight": r.weight,
                     **{k: state[r.id][k] for k in ("properties", "valid_from", "valid_to", "created_at")}})
        provenance = sorted(set(r.provenance))
        sources += [{"relation_id": r.id, "source_id": s, "weight": r.weight / len(provenance)}
                    for s in provenance]
    moved_ends = sorted(rid for rid, old in state.items()
                        if "source_id" in old and (old["source_id"], old["target_id"]) != ends[rid])
    tx.run(q.DELETE_RELATIONS, user=user_id, ids=moved_ends).consume()
    tx.run(q.UPSERT_RELATIONS, user=user_id, rows=rows, now=now).consume()
    tx.run(q.MERGE_RELATION_SOURCES, user=user_id, rows=sources).consume()
    tx.run(q.RECOMPUTE_WEIGHTS, user=user_id, ids=sorted(ends)).consume()


# ---- delete by source --------------------------------------------------------------------
def delete_sources_tx(tx, user_id: str, source_ids: list[str]) -> DeleteReport:
    """Remove provenance ids; delete what is left without any (see ``GraphStore``)."""
    p = {"user": user_id, "sources": source_ids}
    touched_relations = [row["id"] for row in tx.run(q.TOUCHED_RELATIONS, **p)]
    touched_entities = [row["id"] for row in tx.run(q.TOUCHED_ENTITIES, **p)]
    for query in q.DELETE_SOURCES:
        tx.run(query, **p).consume()
    dead = records(tx, q.UNSUPPORTED_RELATIONS, user=user_id, ids=sorted(set(touched_relations)))
    dead_relations = sorted({row["id"] for row in dead})
    touched_entities += [row[end] for row in dead for end in ("source_id", "target_id")]
    tx.run(q.DELETE_RELATIONS, user=user_id, ids=dead_relations).consume()
    tx.run(q.RECOMPUTE_WEIGHTS, user=user_id,
           ids=sorted(set(touched_relations) - set(dead_relations))).consume()
    dead_entities = sorted(row["id"] for row in tx.run(
        q.ORPHAN_ENTITIES, user=user_id, ids=sorted(set(touched_entities))))
    for query in q.DELETE_ENTITIES:
        tx.run(query, user=user_id, ids=dead_entities).consume()
    return DeleteReport(entity_ids=tuple(dead_entities), relation_ids=tuple(dead_relations))


def delete_relations_tx(tx, user_id: str, relation_ids: list[str]) -> DeleteReport:
    """Delete relations and their provenance; then entities at their ends left with neither."""
    rows = records(tx, q.RELATION_STATE, user=user_id, ids=relation_ids)
    tx.run(q.DELETE_RELATION_SOURCES, user=user_id, ids=relation_ids).consume()
    tx.run(q.DELETE_RELATIONS, user=user_id, ids=relation_ids).consume()
    ends = sorted({row[end] for row in rows for end in ("source_id", "target_id")})
    dead_entities = sorted(row["id"] for row in tx.run(q.ORPHAN_ENTITIES, user=user_id, ids=ends))
    for query in q.DELETE_ENTITIES:
        tx.run(query, user=user_id, ids=dead_entities).consume()
    return DeleteReport(entity_ids=tuple(dead_entities), relation_ids=tuple(sorted(r["id"] for r in rows)))


# ---- merges ------------------------------------------------------------------------------
def merge_entities_tx(tx, user_id: str, keep_id: str, merge_id: str, reason: str,
                      now: datetime) -> MergeRecord:
    """Merge entity ``merge_id`` into ``keep_id``: names, provenance, properties, relations."""
    found = load_entities(tx, user_id, (keep_id, merge_id)) if keep_id != merge_id else {}
    check_mergeable(keep_id, merge_id, found)
    p = {"user": user_id, "kept": keep_id, "merged": merge_id, "now": now}
    for query in q.COPY_NAMES_AND_SOURCES:
        tx.run(query, **p).consume()
    merged, kept = found[merge_id], found[keep_id]
    props = merge_patch(merged.properties, kept.properties)  # the kept entity's values win
    tx.run(q.SET_ENTITY_PROPERTIES, user=user_id, id=keep_id, properties=dump(props),
           topic=bool(props.get("topic")), now=now).consume()
    between = sorted(row["id"] for row in tx.run(q.RELATIONS_BETWEEN, **p))
    tx.run(q.DELETE_RELATIONS, user=user_id, ids=between).consume()
    tx.run(q.DELETE_RELATION_SOURCES, user=user_id, ids=between).consume()
    moved = sorted(row["id"] for row in tx.run(q.RELATIONS_OF, **p))
    tx.run(q.REPOINT_OUTGOING, **p).consume()
    tx.run(q.REPOINT_INCOMING, **p).consume()
    folded = sum(_fold_duplicate(tx, user_id, relation_id) for relation_id in moved)
    for query in q.DELETE_ENTITIES:
        tx.run(query, user=user_id, ids=[merge_id]).consume()
    tx.run(q.REDIRECT_MERGES, **p).consume()
    details = {"name": merged.name, "type": merged.type, "aliases": list(merged.aliases),
               "relations_moved": len(moved), "relations_folded": folded,
               "relations_dropped": len(between)}
    seq = tx.run(q.NEXT_MERGE_SEQ, user=user_id).single()["seq"]
    tx.run(q.RECORD_MERGE, **p, seq=seq, name=merged.name, reason=reason,
           details=dump(details)).consume()
    return MergeRecord(user_id=user_id, kept_id=keep_id, merged_id=merge_id, merged_name=merged.name,
                       merged_at=now, reason=reason, details=details)


def _fold_duplicate(tx, user_id: str, relation_id: str) -> int:
    """After re-pointing, fold a valid relation into an older valid one with the same triple."""
    row = tx.run(q.DUPLICATE_OF, user=user_id, id=relation_id).single()
    if row is None:
        return 0
    into = row["into"]
    props = merge_patch(load(row["dup_properties"]), load(row["into_properties"]))
    tx.run(q.FOLD_SOURCES, user=user_id, dup=relation_id, into=into).consume()
    tx.run(q.FOLD_RELATION, user=user_id, into=into, dup_base_weight=row["dup_base_weight"],
           properties=dump(props)).consume()
    tx.run(q.DELETE_RELATIONS, user=user_id, ids=[relation_id]).consume()
    tx.run(q.DELETE_RELATION_SOURCES, user=user_id, ids=[relation_id]).consume()
    tx.run(q.RECOMPUTE_WEIGHTS, user=user_id, ids=[into]).consume()
    return 1


# ---- reads -------------------------------------------------------------------------------
def walk_tx(tx, p: dict[str, Any], start: str, hops: int,
            limit: int | None) -> dict[str, tuple[int, dict]]:
    """Breadth-first over relations in both directions: entity id -> (hops, via row)."""
    return breadth_first(start, hops, limit,
                         lambda frontier: records(tx, q.NEIGHBOUR_EDGES, **p, ids=frontier))
