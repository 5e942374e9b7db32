"""The graph-store seam: a small Protocol, its result types, and name normalisation.

Every method takes the ``user_id`` and never reads or changes another user's data.
Provenance links entities and relations to the chunk or turn ids they were learned from.

Semantics every implementation keeps (the contract suite checks them):

- ``upsert_entities``: insert or update by ``(user_id, id)``. The name and type are replaced
  (a previous name stays as an alias), properties are merged (new keys win), aliases and
  provenance are added to what is there.
- ``upsert_relations``: insert or update by ``(user_id, id)``; both endpoints must exist.
  A relation's weight is the sum of what each provenance source contributed: an upsert with
  weight ``w`` and ``n`` sources gives each ``w / n``, replacing that source's earlier share,
  so re-ingesting a chunk never double counts. Without provenance the upserted weight is
  kept as is. An invalidated relation stays invalid when it is upserted again.
- Ids that were merged away are redirected to the entity they were merged into.
- A relation is *currently valid* when ``valid_from`` is unset or not in the future and
  ``valid_to`` is unset or in the future. Reads return only currently valid relations
  unless ``include_history=True``.
- ``delete_by_source``: removes the given provenance ids; relations left without
  provenance are deleted; entities that lost provenance or a relation in this call and are
  left with neither are deleted. To forget a document pass its chunk ids.
- Timestamps are stored in UTC; naive datetimes are taken as UTC, and reads return aware
  UTC datetimes.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol, runtime_checkable

from graph.errors import InputError
from graph.types import Entity, Relation

MatchKind = Literal["exact", "prefix", "contains"]

_SPACES = re.compile(r"\s+")


def normalise_name(name: str) -> str:
    """The form names are compared in: NFKC (full-width to ASCII), case-folded, single spaces."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", name).casefold()).strip()


_CJK_CHARS = "\u3400-\u9fff\uf900-\ufaff"
# A word stops where Chinese starts: "我们用Neo4j存储" is "我们用", "neo4j", "存储".
_WORD_RUN = re.compile(rf"[{_CJK_CHARS}]+|[^\W_{_CJK_CHARS}]+(?:['\u2019.\-&][^\W_{_CJK_CHARS}]+)*")
_CJK = re.compile(rf"[{_CJK_CHARS}]")
_POSSESSIVE = re.compile(r"['\u2019]s$")


def name_candidates(text: str, *, max_words: int = 5, max_cjk: int = 8) -> list[str]:
    """Every normalised span of ``text`` that could be an entity name: runs of 1 to
    ``max_words`` words (a span ending in a possessive "'s" also without it), and for Chinese
    every substring of 2 to ``max_cjk`` characters.

    Dictionary entity linking looks these up among known names, so a name is found in a
    text exactly when its normalised form is one of these spans.
    """
    words = _WORD_RUN.findall(normalise_name(text))
    found: dict[str, None] = {}
    for i in range(len(words)):
        if _CJK.match(words[i]):
            run = words[i]
            for size in range(2, max_cjk + 1):
                for start in range(len(run) - size + 1):
                    found[run[start:start + size]] = None
            continue
        for size in range(1, max_words + 1):
            span = words[i:i + size]
            if len(span) < size or any(_CJK.match(w) for w in span):
                break
            name = " ".join(span)
            found[name] = None
            found.setdefault(_POSSESSIVE.sub("", name), None)  # "babbage's engine" names "babbage"
    return list(found)


def long_enough_to_link(name: str, min_chars: int = 4) -> bool:
    """Whether dictionary linking may link ``name``: ``min_chars`` characters, or 2 for names with
    Chinese (or any character from U+3400 on: Korean and other dense scripts)."""
    return len(name) >= (2 if any(ch >= "\u3400" for ch in name) else min_chars)


def owned_items(user_id: str, items: Iterable[Any], kind: type) -> list[Any]:
    """``items`` as a list, each checked to be a ``kind`` belonging to ``user_id``."""
    out = list(items)
    for item in out:
        if not isinstance(item, kind):
            raise InputError(f"Expected {kind.__name__} objects, got {type(item).__name__}.")
        if item.user_id != user_id:
            raise InputError(f"{kind.__name__} {item.id!r} belongs to user {item.user_id!r}, not "
                             f"{user_id!r}; pass each user's items with that user's id.")
    return out


def checked_relations(user_id: str, relations: Iterable[Relation]) -> list[Relation]:
    items = owned_items(user_id, relations, Relation)
    for r in items:
        if not r.type or not math.isfinite(r.weight):
            raise InputError(f"Relation {r.id!r} needs a type and a finite weight.")
    return items


def entity_names(entity: Entity) -> list[tuple[str, str]]:
    """(name, normalised name) for the entity's name and aliases; empty names are refused."""
    names = []
    for name in (entity.name, *entity.aliases):
        norm = normalise_name(name)
        if not norm:
            raise InputError(f"Entity {entity.id!r} has an empty name or alias; give it a name.")
        names.append((name, norm))
    return names


def match_score(kind: str, query: str, norm: str) -> float:
    """How well a name search matched: exact 1.0, prefix and contains by closeness in length."""
    closeness = len(query) / max(len(norm), 1)
    return {"exact": 1.0, "prefix": 0.5 + 0.4 * closeness}.get(kind, 0.2 + 0.4 * closeness)


def check_mergeable(keep_id: str, merge_id: str, found: Iterable[str]) -> None:
    """Refuse a merge of an entity into itself, or of entities not stored (``found`` are the
    stored ones among the two)."""
    if keep_id == merge_id:
        raise InputError(f"Cannot merge entity {keep_id!r} into itself.")
    missing = sorted({keep_id, merge_id} - set(found))
    if missing:
        raise InputError(f"Cannot merge: no entities {missing} for this user; upsert them first.")


def breadth_first(start: str, hops: int, limit: int | None,
                  edges_of: Callable[[list[str]], Iterable[Mapping[str, Any]]],
                  ) -> dict[str, tuple[int, Any]]:
    """The walk behind ``neighbours``, shared by every store: breadth-first over relations in
    both directions, entity id -> (hops, the edge row it was first reached by). ``edges_of``
    gives the rows (``id``, ``source_id``, ``target_id``, ``weight``) touching a frontier; on
    each hop the heaviest edge wins and entities are taken heaviest first up to ``limit``."""
    seen, reached, frontier = {start}, {}, [start]
    for depth in range(1, hops + 1):
        if not frontier or (limit is not None and len(reached) >= limit):
            break
        level: dict[str, Any] = {}
        members = set(frontier)
        for row in edges_of(frontier):
            for here, there in ((row["source_id"], row["target_id"]),
                                (row["target_id"], row["source_id"])):
                if here in members and there not in seen:
                    best = level.get(there)
                    if best is None or (row["weight"], row["id"]) > (best["weight"], best["id"]):
                        level[there] = row
        ranked = sorted(level, key=lambda e: (-level[e]["weight"], e))
        if limit is not None:
            ranked = ranked[: max(limit - len(reached), 0)]
        for eid in ranked:
            reached[eid] = (depth, level[eid])
        seen.update(ranked)
        frontier = ranked
    return reached


@dataclass(frozen=True, slots=True)
class Neighbour:
    """An entity reached from the start entity in ``hops`` steps, and the relation that led there."""

    entity: Entity
    hops: int
    via: Relation


@dataclass(frozen=True, slots=True)
class Subgraph:
    entities: tuple[Entity, ...] = ()
    relations: tuple[Relation, ...] = ()


@dataclass(frozen=True, slots=True)
class EntityMatch:
    entity: Entity
    score: float  # 1.0 for an exact match; prefix and contains matches score lower
    kind: MatchKind
    matched: str  # the name or alias that matched


@dataclass(frozen=True, slots=True)
class MergeRecord:
    user_id: str
    kept_id: str
    merged_id: str
    merged_name: str
    merged_at: datetime
    reason: str = ""
    details: dict = field(default_factory=dict, hash=False)


@dataclass(frozen=True, slots=True)
class DeleteReport:
    entity_ids: tuple[str, ...] = ()
    relation_ids: tuple[str, ...] = ()

    @property
    def entities(self) -> int:
        return len(self.entity_ids)

    @property
    def relations(self) -> int:
        return len(self.relation_ids)


@dataclass(frozen=True, slots=True)
class GraphStats:
    entities: int = 0
    relations: int = 0
    valid_relations: int = 0
    merges: int = 0
    entity_types: dict[str, int] = field(default_factory=dict, hash=False)
    relation_types: dict[str, int] = field(default_factory=dict, hash=False)


@runtime_checkable
class GraphStore(Protocol):
    """The knowledge graph of every user, one user at a time."""

    def open(self) -> None: ...

    def close(self) -> None: ...

    def upsert_entities(self, user_id: str, entities: Iterable[Entity]) -> int: ...

    def upsert_relations(self, user_id: str, relations: Iterable[Relation]) -> int: ...

    def get_entities(self, user_id: str, entity_ids: Iterable[str]) -> list[Entity]: ...

    def get_relations(self, user_id: str, relation_ids: Iterable[str],
                      *, include_history: bool = True) -> list[Relation]: ...

    def neighbours(self, user_id: str, entity_id: str, *, hops: int = 1,
                   relation_types: Sequence[str] | None = None,
                   include_history: bool = False, limit: int | None = None) -> list[Neighbour]: ...

    def subgraph(self, user_id: str, entity_ids: Iterable[str],
                 *, include_history: bool = False) -> Subgraph: ...

    def search_entities(self, user_id: str, text: str, *, limit: int = 10) -> list[EntityMatch]: ...

    def invalidate_relation(self, user_id: str, relation_id: str,
                            *, at: datetime | None = None) -> bool: ...

    def find_relations(self, user_id: str, *, types: Iterable[str] | None = None,
                       source_entity_ids: Iterable[str] | None = None, id_prefix: str | None = None,
                       include_history: bool = False) -> list[Relation]:
        """The user's relations that pass every filter given (``None``: no filter), ordered by id:
        of one of ``types``, going out of one of ``source_entity_ids`` (merged-away ids
        redirected), with an id starting with ``id_prefix``."""
        ...

    def delete_relations(self, user_id: str, relation_ids: Iterable[str]) -> DeleteReport:
        """Delete these relations and their provenance for good; an entity at either end that is
        left with neither provenance nor relations is deleted too (as in ``delete_by_source``)."""
        ...

    def delete_by_source(self, user_id: str, source_ids: Iterable[str]) -> DeleteReport: ...

    def merge_entities(self, user_id: str, keep_id: str, merge_id: str,
                       *, reason: str = "") -> MergeRecord: ...

    def list_merges(self, user_id: str) -> list[MergeRecord]: ...

    def stats(self, user_id: str) -> GraphStats: ...

    def find_mentions(self, user_id: str, text: str, *, min_chars: int = 4) -> dict[str, str]:
        """Known entities whose name (or alias) occurs in ``text``, as entity id -> the name found
        (see ``name_candidates``); names shorter than ``min_chars`` characters (2 for Chinese)
        are not linked."""
        ...

    def add_mentions(self, user_id: str, links: Iterable[tuple[str, str]]) -> int:
        """Record that entity ``e`` is mentioned in source ``s`` for each ``(e, s)``; returns how many
        were new. Unknown entities are skipped."""
        ...

    def existing_entities(self, user_id: str, entity_ids: Iterable[str]) -> set[str]:
        """Which of these ids are stored entities (as themselves, not merged away)."""
        ...

    def mentions(self, user_id: str, *, entity_ids: Iterable[str] | None = None,
                 source_ids: Iterable[str] | None = None, topics_only: bool = False,
                 max_per_entity: int | None = None) -> list[tuple[str, str]]:
        """``(entity id, source id)`` mention pairs of the given entities, or of the given sources;
        ``topics_only`` keeps entities that are the topic of a document (``properties["topic"]``);
        ``max_per_entity`` (with ``entity_ids``) leaves out entities mentioned in more sources."""
        ...
