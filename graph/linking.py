"""From a document's chunks to graph items: entities with their mentions, and relations.

Three sources of mentions make the entity-chunk graph that retrieval walks:
- the document's topic: its title is an entity mentioned by every chunk of it
  (a trailing "(disambiguation)" is dropped for the name and kept as an alias);
- the extractor's entities and relations, per chunk;
- dictionary linking: a chunk mentions every known entity whose name occurs in it, and
  an entity first seen now is linked to the older chunks that name it.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from graph.extract import CO_OCCURS, ExtractionError, Extractor
from graph.knowledge import KnowledgeBase
from graph.resolve import EntityResolver
from graph.store import long_enough_to_link, name_candidates, normalise_name
from graph.types import Chunk, Document, Entity, Relation, stable_id

log = logging.getLogger(__name__)

_DISAMBIGUATION = re.compile(r"\s*[(（][^()（）]*[)）]\s*$")
MAX_TOPIC_WORDS = 12
LINKABLE_TYPES = frozenset({"person", "place", "organization"})


def entity_id(user_id: str, name: str) -> str:
    return stable_id("ent", user_id, normalise_name(name))


def topic_names(title: str) -> tuple[str, ...]:
    """The names a document's title gives its topic entity: (name, alias...)."""
    title = " ".join(title.split())
    if not title or len(title.split()) > MAX_TOPIC_WORDS:
        return ()
    short = _DISAMBIGUATION.sub("", title)
    return (short, title) if short and short != title else (title,)


def _candidate_queries(name: str) -> list[str]:
    """Name searches that find stored look-alikes: the name, and its first words (so
    "Neo4J DB" finds "Neo4j")."""
    words = [w for w in name.split() if len(w) >= 3][:3]
    return list(dict.fromkeys([name, *words]))


@dataclass
class _Draft:
    name: str
    type: str
    aliases: set[str] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)
    topic: bool = False
    votes: Counter[str] = field(default_factory=Counter)  # extracted types, one per chunk

    def best_type(self) -> str:
        """The type most chunks gave it (ties: the more specific); a topic that no chunk
        typed stays "other"."""
        if not self.votes:
            return self.type
        return max(self.votes, key=lambda t: (self.votes[t], t not in ("concept", "other")))


def _type_topic(topic: _Draft, title: str, drafts: Iterable[_Draft]) -> None:
    """A topic no chunk typed takes the type of the name its title opens with ("Kestrel Loom
    Analytics: company profile" is an organisation, "星河科技公司简介" too)."""
    if topic.type != "other":
        return
    opening = [d for d in drafts if d is not topic and d.type not in ("other", "concept")
               and len(d.name) >= 2 and title.lower().startswith(d.name.lower())]
    if opening:
        topic.type = max(opening, key=lambda d: len(d.name)).type


@dataclass(frozen=True, slots=True)
class GraphItems:
    entities: tuple[Entity, ...] = ()
    relations: tuple[Relation, ...] = ()
    linkable: tuple[tuple[str, str], ...] = ()  # (entity id, name) to link in older chunks


class GraphBuilder:
    def __init__(self, kb: KnowledgeBase, extractor: Extractor | None) -> None:
        self.kb = kb
        self.extractor = extractor
        self.resolver = EntityResolver(kb.embedder)

    def extract(self, document: Document, chunks: list[Chunk]) -> GraphItems:
        user = document.user_id
        drafts: dict[str, _Draft] = {}

        def draft(name: str, type_: str) -> _Draft:
            eid = entity_id(user, name)
            if eid not in drafts:
                drafts[eid] = _Draft(name=name, type=type_)
            return drafts[eid]

        names = topic_names(document.title)
        if names:
            topic = draft(names[0], "other")
            topic.aliases.update(names[1:])
            topic.sources.update(c.id for c in chunks)
            topic.topic = True
        weights: dict[tuple[str, str, str], float] = {}
        sources: dict[tuple[str, str, str], set[str]] = {}
        for chunk in chunks:
            for entity, relation in self._extract_chunk(chunk):
                if entity is not None:
                    found = draft(entity.name, entity.type)
                    found.votes[entity.type] += 1  # an extraction names an entity once
                    found.sources.add(chunk.id)
                if relation is not None:
                    a, b = entity_id(user, relation.subject), entity_id(user, relation.object)
                    if relation.relation == CO_OCCURS:
                        a, b = sorted((a, b))
                    key = (a, relation.relation, b)
                    weights[key] = weights.get(key, 0.0) + relation.weight
                    sources.setdefault(key, set()).add(chunk.id)
        for d in drafts.values():
            d.type = d.best_type()
        if names:
            _type_topic(drafts[entity_id(user, names[0])], names[-1], drafts.values())
        entities = tuple(
            Entity(id=eid, user_id=user, name=d.name, type=d.type, aliases=tuple(sorted(d.aliases)),
                   properties={"topic": True} if d.topic else {}, provenance=tuple(sorted(d.sources)))
            for eid, d in drafts.items())
        relations = tuple(
            Relation(id=stable_id("rel", user, a, kind, b), user_id=user, source_id=a, target_id=b,
                     type=kind, weight=weight, provenance=tuple(sorted(sources[(a, kind, b)])))
            for (a, kind, b), weight in weights.items() if a in drafts and b in drafts and a != b)
        linkable = tuple((eid, d.name) for eid, d in drafts.items()
                         if d.topic or d.type in LINKABLE_TYPES)
        return GraphItems(entities, relations, linkable)

    def _extract_chunk(self, chunk: Chunk):
        if self.extractor is None:
            return
        try:
            extraction = self.extractor.extract(chunk.text)
        except ExtractionError as exc:
            log.warning("Entity extraction skipped chunk %s: %s", chunk.id, exc)
            return
        for entity in extraction.entities:
            yield entity, None
        for relation in extraction.relations:
            yield None, relation

    def write(self, user_id: str, items: GraphItems, chunks: list[Chunk]) -> None:
        """Store the items, resolve new entities and link mentions; call inside the
        document's transaction."""
        graph = self.kb.graph
        known = graph.existing_entities(user_id, [e.id for e in items.entities])
        graph.upsert_entities(user_id, items.entities)
        graph.upsert_relations(user_id, items.relations)
        self._resolve(user_id, [e for e in items.entities if e.id not in known])
        new = {eid for eid, _ in items.linkable} - known
        own = {c.id for c in chunks}
        links = [(eid, chunk.id) for chunk in chunks
                 for eid in graph.find_mentions(user_id, chunk.text)]
        for eid, name in items.linkable:
            if eid in new:
                links += [(eid, cid) for cid in self._older_chunks_naming(user_id, name, own)]
        graph.add_mentions(user_id, links)

    def _resolve(self, user_id: str, new: list[Entity]) -> None:
        """Merge each new entity with a stored one it duplicates ("Neo4J DB" / "Neo4j"); the
        store records every merge. Candidates come from a name search, the decision from the
        resolver's rules (same key, alias, or embedding similarity of look-alike names)."""
        # an id merged away earlier was redirected by the upsert: only ids stored as themselves
        stored = self.kb.graph.existing_entities(user_id, [e.id for e in new])
        new = [e for e in new if e.id in stored]
        if not new:
            return
        new_ids = {e.id for e in new}
        candidates: dict[str, Entity] = {}
        for entity in new:
            for query in _candidate_queries(entity.name):
                for match in self.kb.graph.search_entities(user_id, query, limit=5):
                    if match.entity.id not in new_ids:
                        candidates.setdefault(match.entity.id, match.entity)
        for decision in self.resolver.resolve([*candidates.values(), *new]):
            if decision.merged.id in new_ids or decision.canonical.id in new_ids:
                self.kb.graph.merge_entities(user_id, decision.canonical.id, decision.merged.id,
                                             reason=decision.reason)

    def _older_chunks_naming(self, user_id: str, name: str, own: set[str]) -> list[str]:
        """Chunks (not of this document) that ``find_mentions`` would link to ``name``: the
        keyword phrase search finds candidates, the same rule as the forward direction decides,
        so the links do not depend on the order documents arrive in."""
        norm = normalise_name(name)
        if not long_enough_to_link(norm):
            return []
        ids = [cid for cid in self.kb.keywords.chunks_with_phrase(user_id, name) if cid not in own]
        return [c.id for c in self.kb.documents.get_chunks(user_id, ids) if norm in name_candidates(c.text)]
