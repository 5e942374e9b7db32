"""Semantic memory: facts the user told, kept in the knowledge graph with strength and validity.

A fact is a relation between two entities of the user's graph, in its own id namespace
("fent-" entities, "fact-" relations), so it never mixes with what documents taught. Telling a
fact again reinforces the same relation (one more provenance turn, more strength: see
memory.strength); a new value of a single-valued relation ("moved to Shanghai") ends the old
one (``valid_to``) and keeps it as history. Nothing fades out of the store by itself: weak facts
only drop out of ``recall``; ``forget`` and ``forget_all`` delete for good.

Writes are idempotent per provenance id, so a durable queue may replay a turn after a crash.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal

from graph.cjk import has_cjk
from graph.errors import InputError
from graph.store import GraphStore, normalise_name
from graph.types import Entity, Relation, stable_id
from memory.fact_match import fact_units, match, relative_units, units
from memory.fact_rules import Person
from memory.fact_text import describe, kin_noun
from memory.fact_vocab import (
    OPPOSITES,
    RELATIVE_RELATIONS,
    RELATIVES_EN,
    RETRACT,
    USER,
    is_single_valued,
    normalise_relation,
    object_type,
)
from memory.strength import strength

FACT_PREFIX = "fact-"
MAX_PART_CHARS = 200
_FIRST_PERSON = frozenset({"user", "i", "me", "myself", "我", "用户", "本人"})
_USER_ENTITY_NAME = "(user)"
_GENDERS = {relation: gender for relation, gender in RELATIVES_EN.values() if gender}


@dataclass(frozen=True, slots=True)
class Triple:
    subject: str  # "user" for the user
    relation: str  # see memory.fact_vocab; "not_<relation>" retracts
    object: str
    text: str = ""  # the sentence it came from


@dataclass(frozen=True, slots=True)
class Fact:
    id: str
    user_id: str
    subject: str
    relation: str
    object: str
    text: str
    strength: float  # now, after decay: 0..1
    reinforcements: int
    first_learned: datetime
    last_reinforced: datetime
    valid_from: datetime
    valid_to: datetime | None
    provenance: tuple[str, ...]

    @property
    def current(self) -> bool:
        return self.valid_to is None

    def describe(self, kin: Mapping[str, Fact] | None = None) -> str:
        """One plain sentence ("The user lives in Hangzhou." / "用户住在杭州。"); ``kin``
        (``FactMemory.kin``) adds how the subject is related to the user ("The user's sister
        Lin lives in Hangzhou.")."""
        chinese = has_cjk(self.subject) or has_cjk(self.object)
        related = (kin or {}).get(normalise_name(self.subject))
        noun = kin_noun(related.relation, chinese, related.text) if related else ""
        return describe(self.subject, self.relation, self.object, chinese=chinese, kin=noun)


@dataclass(frozen=True, slots=True)
class FactChange:
    """new: first told; reinforced: told again; superseded: ``fact`` replaced ``previous`` (now
    ended); retracted: the user said ``fact`` no longer holds (it is ended)."""

    kind: Literal["new", "reinforced", "superseded", "retracted"]
    fact: Fact
    previous: Fact | None = None


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _clean(triple: Triple) -> Triple | None:
    relation = normalise_relation(triple.relation)
    subject, object_ = " ".join(triple.subject.split()), " ".join(triple.object.split())
    if not relation or not subject or len(subject) > MAX_PART_CHARS or len(object_) > MAX_PART_CHARS:
        return None
    if not object_ and not relation.startswith(RETRACT):  # "not_x" without object: every value
        return None
    subject = USER if subject.casefold() in _FIRST_PERSON else subject
    return Triple(subject, relation, object_, " ".join(triple.text.split()))


def _relative_bonus(wanted: set[str], live: list[Fact]) -> dict[str, float]:
    """Half the match of a has_<relative> fact goes to the relative's own facts."""
    by_subject: dict[str, list[Fact]] = defaultdict(list)
    for f in live:
        by_subject[normalise_name(f.subject)].append(f)
    bonus: dict[str, float] = defaultdict(float)
    for f in live:
        about = match(wanted, relative_units(f.relation, f.object)) if f.relation in RELATIVE_RELATIONS else 0
        for g in by_subject[normalise_name(f.object)] if about else ():
            bonus[g.id] = max(bonus[g.id], 0.5 * about)
    return bonus


def kin_of(facts: Iterable[Fact]) -> dict[str, Fact]:
    """The current has_<relative> facts among ``facts``, by the relative's normalised name."""
    return {normalise_name(f.object): f for f in facts
            if f.current and f.subject == USER and f.relation in RELATIVE_RELATIONS}


class FactMemory:
    """Facts per user in a ``GraphStore`` the caller opens and closes."""

    def __init__(self, graph: GraphStore, *, half_life_days: float = 30.0, min_strength: float = 0.05,
                 clock: Callable[[], datetime] = _utc_now) -> None:
        if not half_life_days > 0:
            raise InputError(f"half_life_days must be above 0, got {half_life_days}.")
        if not 0 <= min_strength <= 1:
            raise InputError(f"min_strength must be between 0 and 1, got {min_strength}.")
        self.graph = graph
        self.half_life_days = half_life_days
        self.min_strength = min_strength
        self.clock = clock
        self._lock = threading.Lock()

    # ---- writing -------------------------------------------------------------------------
    def observe(self, user_id: str, triples: Iterable[Triple], *, provenance: str,
                at: datetime | None = None) -> list[FactChange]:
        """Learn, reinforce, supersede or retract facts told in turn ``provenance`` at ``at``
        (default: the clock's now). Telling the same turn again changes nothing."""
        if not provenance:
            raise InputError("observe() needs the id of the turn the facts came from (provenance=...).")
        when = _utc(at or self.clock())
        cleaned = [t for t in map(_clean, triples) if t is not None]
        changes: list[FactChange] = []
        with self._lock:
            self._upsert_entities(user_id, [t for t in cleaned if not t.relation.startswith(RETRACT)])
            for triple in cleaned:
                if triple.relation.startswith(RETRACT):
                    changes += self._retract(user_id, triple, when)
                else:
                    changes += self._learn(user_id, triple, provenance, when)
        return changes

    def _learn(self, user_id: str, t: Triple, provenance: str, when: datetime) -> list[FactChange]:
        sid, oid = self._entity_id(user_id, t.subject), self._entity_id(user_id, t.object)
        opposite = OPPOSITES.get(t.relation)
        known = self._known(user_id, sid, [t.relation, *([opposite] if opposite else [])])
        key = normalise_name(t.object)
        same = [r for r in known if r.type == t.relation and self._object_key(r) == key]
        current = next((r for r in same if r.valid_to is None), None)
        main: FactChange | None = None
        if current is not None and provenance in current.provenance:
            fact = self._to_fact(current)  # a replay: already applied
        elif any(provenance in r.provenance for r in same):
            return []  # a replay of a turn whose fact has ended (or been told again) since
        elif current is not None:
            fact = self._reinforce(user_id, current, t, provenance, when)
            main = FactChange("reinforced", fact, self._to_fact(current))
        else:
            fact = self._create(user_id, t, sid, oid, provenance, when, known, same)
            main = FactChange("new", fact)
        ended = self._end_contradicted(user_id, fact, known, opposite, when) if fact.current else []
        if main is not None and not (main.kind == "new" and ended):
            ended.insert(0, main)
        return ended

    def _create(self, user_id: str, t: Triple, sid: str, oid: str, provenance: str, when: datetime,
                known: list[Relation], same: list[Relation]) -> Fact:
        rid = stable_id("fact", user_id, sid, t.relation, oid)
        if any(r.id == rid for r in same):  # told before, ended since: a new episode
            rid = stable_id("fact", user_id, sid, t.relation, oid, when.isoformat(), provenance)
        # told late (a replayed or back-dated turn): a newer current value keeps precedence
        opposite = OPPOSITES.get(t.relation)
        later = [r.valid_from for r in known if r.valid_to is None and r.valid_from is not None
                 and r.valid_from > when and (
                     (r.type == t.relation and is_single_valued(t.relation))
                     or (r.type == opposite and self._object_key(r) == normalise_name(t.object)))]
        valid_to = min(later) if later else None
        stamp = when.isoformat()
        relation = Relation(
            id=rid, user_id=user_id, source_id=sid, target_id=oid, type=t.relation,
            properties={"fact": True, "subject": t.subject, "object": t.object, "text": t.text,
                        "reinforcements": 1, "first_learned": stamp, "last_reinforced": stamp},
            valid_from=when, valid_to=valid_to, provenance=(provenance,))
        self.graph.upsert_relations(user_id, [relation])
        return self._to_fact(relation)

    def _reinforce(self, user_id: str, r: Relation, t: Triple, provenance: str, when: datetime) -> Fact:
        props = r.properties
        first = min(_utc(datetime.fromisoformat(props["first_learned"])), when)
        last = max(_utc(datetime.fromisoformat(props["last_reinforced"])), when)
        patch = {"reinforcements": int(props.get("reinforcements", 1)) + 1, "text": t.text or props["text"],
                 "first_learned": first.isoformat(), "last_reinforced": last.isoformat()}
        # weight 1 per turn: the store sums it over provenance, so the weight counts the turns
        told = replace(r, weight=1.0, properties=patch, provenance=(provenance,))
        self.graph.upsert_relations(user_id, [told])
        return self._to_fact(replace(r, properties={**props, **patch},
                                     provenance=tuple(sorted({*r.provenance, provenance}))))

    def _end_contradicted(self, user_id: str, fact: Fact, known: list[Relation], opposite: str | None,
                          when: datetime) -> list[FactChange]:
        """End the other current value of a single-valued relation, and the opposite fact
        ("likes" ends "dislikes" of the same thing)."""
        key = normalise_name(fact.object)
        ended = []
        for r in known:
            if r.valid_to is not None or r.id == fact.id or (r.valid_from and r.valid_from > when):
                continue
            other_value = r.type == fact.relation and is_single_valued(r.type) and self._object_key(r) != key
            opposed = r.type == opposite and self._object_key(r) == key
            if (other_value or opposed) and self.graph.invalidate_relation(user_id, r.id, at=when):
                ended.append(FactChange("superseded", fact, self._to_fact(replace(r, valid_to=when))))
        return ended

    def _retract(self, user_id: str, t: Triple, when: datetime) -> list[FactChange]:
        relation = t.relation.removeprefix(RETRACT)
        key = normalise_name(t.object)
        changes = []
        for r in self._known(user_id, self._entity_id(user_id, t.subject), [relation]):
            if (r.valid_to is None and (not key or self._object_key(r) == key)
                    and not (r.valid_from and r.valid_from >= when)
                    and self.graph.invalidate_relation(user_id, r.id, at=when)):
                changes.append(FactChange("retracted", self._to_fact(replace(r, valid_to=when))))
        return changes

    def _upsert_entities(self, user_id: str, triples: list[Triple]) -> None:
        people = {normalise_name(t.object) for t in triples if object_type(t.relation) == "person"}
        wanted: dict[str, tuple[str, str]] = {}
        for t in triples:
            person = t.subject == USER or t.subject.startswith(("user's ", "用户的")) \
                or normalise_name(t.subject) in people
            wanted.setdefault(self._entity_id(user_id, t.subject),
                              (_USER_ENTITY_NAME if t.subject == USER else t.subject,
                               "person" if person else "other"))
            wanted[self._entity_id(user_id, t.object)] = (t.object, object_type(t.relation))
        stored = {e.id: e for e in self.graph.get_entities(user_id, wanted)}
        entities = []
        for eid, (name, kind) in wanted.items():
            old = stored.get(eid)
            if old is not None and kind == "other":
                kind = old.type  # a weaker guess never overwrites a type already known
            entities.append(Entity(id=eid, user_id=user_id, name=old.name if old else name, type=kind))
        self.graph.upsert_entities(user_id, entities)

    # ---- reading -------------------------------------------------------------------------
    def facts(self, user_id: str, *, include_history: bool = False) -> list[Fact]:
        """Current facts, strongest first (weak ones too, see ``Fact.strength``); with
        ``include_history`` the ended ones follow, most recently ended first."""
        now = _utc(self.clock())
        found = [self._to_fact(r, now) for r in self.graph.find_relations(
            user_id, id_prefix=FACT_PREFIX, include_history=True) if r.properties.get("fact")]
        current = sorted((f for f in found if f.current),
                         key=lambda f: (-f.strength, -f.last_reinforced.timestamp(), f.id))
        if not include_history:
            return current
        ended = sorted((f for f in found if not f.current), key=lambda f: (f.valid_to, f.id), reverse=True)
        return current + ended

    def recall(self, user_id: str, query: str, *, k: int) -> list[Fact]:
        """Up to ``k`` current facts that match the query (``memory.fact_match``), ranked by
        match² x strength; facts weaker than ``min_strength`` are left out. A relative the
        query names brings their own facts along ("where does my sister live?" finds Lin's)."""
        wanted = units(query)
        if k < 1 or not wanted:
            return []
        live = [f for f in self.facts(user_id) if f.strength >= self.min_strength]
        score = {f.id: match(wanted, fact_units(f.subject, f.relation, f.object, f.text)) for f in live}
        bonus = _relative_bonus(wanted, live)
        ranked = [(min(score[f.id] + bonus[f.id], 1.0), f) for f in live]
        ranked = [(s, f) for s, f in ranked if s > 0]
        # match counts more than strength: a fact that answers more of the question wins unless
        # it is much weaker
        ranked.sort(key=lambda sf: (-sf[0] ** 2 * sf[1].strength, -sf[1].strength, sf[1].id))
        return [f for _, f in ranked[:k]]

    def kin(self, user_id: str) -> dict[str, Fact]:
        """The user's current has_<relative> facts by the relative's normalised name."""
        return kin_of(self.facts(user_id))

    def people(self, user_id: str) -> list[Person]:
        """The user's relatives and friends known by name, least recently told first (for who
        "my sister" or "she" is in what the user says next)."""
        told = [f for f in self.facts(user_id) if f.subject == USER and f.relation in RELATIVE_RELATIONS]
        told.sort(key=lambda f: f.last_reinforced)
        return [Person(f.object, f.relation, _GENDERS.get(f.relation, ""), named=True, known=True)
                for f in told]

    def history(self, user_id: str, subject: str, relation: str) -> list[Fact]:
        """Every value ``subject`` has had for ``relation``, newest first, ended ones included."""
        rel = normalise_relation(relation)
        if not rel or not subject.strip():
            return []
        who = USER if subject.strip().casefold() in _FIRST_PERSON else subject.strip()
        now = _utc(self.clock())
        found = [self._to_fact(r, now) for r in self._known(user_id, self._entity_id(user_id, who), [rel])]
        return sorted(found, key=lambda f: (f.valid_from, f.current, f.id), reverse=True)

    # ---- forgetting ----------------------------------------------------------------------
    def forget(self, user_id: str, fact_id: str) -> bool:
        """Delete one fact for good (not only end it); False if the user has no such fact."""
        if not fact_id.startswith(FACT_PREFIX):
            return False
        with self._lock:
            return self.graph.delete_relations(user_id, [fact_id]).relations > 0

    def forget_all(self, user_id: str) -> int:
        """Delete every fact of the user, history included; how many were deleted."""
        with self._lock:
            ids = [r.id for r in self.graph.find_relations(user_id, id_prefix=FACT_PREFIX,
                                                           include_history=True)]
            return self.graph.delete_relations(user_id, ids).relations if ids else 0

    # ---- helpers -------------------------------------------------------------------------
    @staticmethod
    def _entity_id(user_id: str, name: str) -> str:
        return stable_id("fent", user_id, "\x00user" if name == USER else normalise_name(name))

    @staticmethod
    def _object_key(r: Relation) -> str:
        return normalise_name(str(r.properties.get("object", "")))

    def _known(self, user_id: str, subject_id: str, types: list[str]) -> list[Relation]:
        found = self.graph.find_relations(user_id, types=types, source_entity_ids=[subject_id],
                                          id_prefix=FACT_PREFIX, include_history=True)
        return [r for r in found if r.properties.get("fact")]

    def _to_fact(self, r: Relation, now: datetime | None = None) -> Fact:
        props: dict[str, Any] = r.properties
        first = _utc(datetime.fromisoformat(props["first_learned"]))
        last = _utc(datetime.fromisoformat(props["last_reinforced"]))
        n = int(props.get("reinforcements", 1))
        return Fact(
            id=r.id, user_id=r.user_id, subject=str(props.get("subject", "")), relation=r.type,
            object=str(props.get("object", "")), text=str(props.get("text", "")),
            strength=strength(n, last, _utc(now or self.clock()), self.half_life_days),
            reinforcements=n, first_learned=first, last_reinforced=last,
            valid_from=r.valid_from or first, valid_to=r.valid_to, provenance=tuple(r.provenance))
