"""Entity resolution: decide which of one user's entities name the same thing.

Three rules, strongest first; only entities of compatible types merge (equal types, or one
of them untyped "other"; concepts never merge with people, places or organisations):

1. same key - equal :func:`name_key` (NFKC, case-folded, punctuation and spaces removed, a
   leading "the" and trailing legal forms such as Inc., Ltd., GmbH, 有限公司 dropped);
2. alias - a name equals a known alias (``Entity.aliases`` or the ``aliases`` table);
3. similarity - embedding cosine at or above ``threshold`` between names that also share
   most of their letters (containment or character-bigram overlap), so that near-synonyms
   that are different things ("Paris"/"London") are not merged on meaning alone
   (one name contains the other, or their character bigrams overlap by Dice >= 0.7).

The result is a list of :class:`MergeDecision` for the store to apply and record.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from graph.embedding import Embedder
from graph.errors import InputError
from graph.types import Entity

LEGAL_FORMS = frozenset({
    "inc", "incorporated", "corp", "corporation", "co", "company", "ltd", "limited", "llc", "llp",
    "plc", "gmbh", "ag", "sa", "nv", "bv", "有限公司", "股份有限公司", "有限责任公司", "公司",
})
SPECIFIC_TYPES = ("person", "place", "organization")
_WORDS = re.compile(r"[^\W_]+")
_CJK_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "公司")


def name_key(name: str) -> str:
    """The normalisation key: "Neo4j, Inc." -> "neo4j", "The Beatles" -> "beatles"."""
    tokens = _WORDS.findall(unicodedata.normalize("NFKC", name).casefold())
    if len(tokens) > 1 and tokens[0] == "the":
        tokens = tokens[1:]
    while len(tokens) > 1 and tokens[-1] in LEGAL_FORMS:
        tokens.pop()
    key = "".join(tokens)
    for suffix in _CJK_SUFFIXES:
        if key.endswith(suffix) and len(key) - len(suffix) >= 2:
            return key[: -len(suffix)]
    return key


def compatible(a: str, b: str) -> bool:
    return a == b or "other" in (a, b)


@dataclass(frozen=True, slots=True)
class MergeDecision:
    canonical: Entity  # the survivor, its aliases extended with the merged names
    merged: Entity  # folded into canonical
    reason: str  # "same key", "alias" or "similarity 0.93"
    score: float  # 1.0 for key and alias matches, the cosine for similarity


class _Clusters:
    """Union-find over entity positions, remembering the first reason each one was joined."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))
        self.reason: dict[int, tuple[str, float]] = {}

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int, reason: str, score: float) -> None:
        root_i, root_j = self.find(i), self.find(j)
        if root_i == root_j:
            return
        self.parent[root_j] = root_i
        for k in (i, j):
            self.reason.setdefault(k, (reason, score))

    def groups(self) -> list[list[int]]:
        members: dict[int, list[int]] = {}
        for i in range(len(self.parent)):
            members.setdefault(self.find(i), []).append(i)
        return [m for m in members.values() if len(m) > 1]


class EntityResolver:
    """``embedder`` is optional: without it only the key and alias rules apply."""

    def __init__(self, embedder: Embedder | None = None, *, threshold: float = 0.85,
                 aliases: Mapping[str, str] | None = None, min_overlap: float = 0.7) -> None:
        if not 0.0 < threshold <= 1.0:
            raise InputError(f"threshold must be in (0, 1], got {threshold}.")
        self.embedder = embedder
        self.threshold = threshold
        self.aliases = {name_key(a): name_key(c) for a, c in (aliases or {}).items()}
        self.min_overlap = min_overlap

    def resolve(self, entities: Sequence[Entity]) -> list[MergeDecision]:
        """Merge decisions for one user's entities (callers list stored entities first)."""
        users = {e.user_id for e in entities}
        if len(users) > 1:
            raise InputError(f"resolve() works on one user's entities at a time; got "
                             f"{len(users)} users. Call it once per user.")
        keys = [name_key(e.name) for e in entities]
        clusters = _Clusters(len(entities))
        self._by_key(entities, keys, clusters)
        self._by_alias(entities, keys, clusters)
        if self.embedder is not None:
            self._by_similarity(entities, keys, clusters)
        return self._decisions(entities, clusters)

    def _by_key(self, entities: Sequence[Entity], keys: list[str], clusters: _Clusters) -> None:
        by_key: dict[str, list[int]] = {}
        for i, key in enumerate(keys):
            if key:
                by_key.setdefault(key, []).append(i)
        for members in by_key.values():
            for bucket in _type_buckets(entities, members):
                for j in bucket[1:]:
                    clusters.union(bucket[0], j, "same key", 1.0)

    def _by_alias(self, entities: Sequence[Entity], keys: list[str], clusters: _Clusters) -> None:
        first_with_key: dict[str, list[int]] = {}
        for i, key in enumerate(keys):
            first_with_key.setdefault(key, []).append(i)
        for i, entity in enumerate(entities):
            targets = {name_key(a) for a in entity.aliases}
            if keys[i] in self.aliases:
                targets.add(self.aliases[keys[i]])
            for target in targets - {keys[i]}:
                for j in first_with_key.get(target, []):
                    if compatible(entity.type, entities[j].type):
                        clusters.union(j, i, "alias", 1.0)

    def _by_similarity(self, entities: Sequence[Entity], keys: list[str],
                       clusters: _Clusters) -> None:
        """Join look-alike names of compatible types whose embeddings are close. Only names in
        such a pair are embedded: the string checks are cheap, the embeddings are not."""
        roots = sorted({clusters.find(i) for i in range(len(entities)) if keys[i]})
        pairs = [(ei, ej) for n, ei in enumerate(roots) for ej in roots[n + 1:]
                 if compatible(entities[ei].type, entities[ej].type) and self._alike(keys[ei], keys[ej])]
        if not pairs:
            return
        named = sorted({i for pair in pairs for i in pair})
        vectors = dict(zip(named, self.embedder.embed([entities[i].name for i in named]), strict=True))
        for ei, ej in pairs:
            cosine = float(vectors[ei] @ vectors[ej])
            if cosine >= self.threshold:
                score = round(cosine, 2)
                clusters.union(ei, ej, f"similarity {score:.2f}", score)

    def _alike(self, a: str, b: str) -> bool:
        return a in b or b in a or _bigram_dice(a, b) >= self.min_overlap

    def _decisions(self, entities: Sequence[Entity], clusters: _Clusters) -> list[MergeDecision]:
        decisions: list[MergeDecision] = []
        for members in clusters.groups():
            keep = max(members, key=lambda i: _preference(entities[i], i))
            survivor = entities[keep]
            names = [entities[i].name for i in members] + [a for i in members
                                                          for a in entities[i].aliases]
            aliases = tuple(dict.fromkeys(n for n in (*survivor.aliases, *names)
                                          if n != survivor.name))
            canonical = replace(survivor, type=_merged_type(entities, members, survivor.type),
                                aliases=aliases)
            for i in members:
                if i != keep:
                    reason, score = clusters.reason.get(i, clusters.reason.get(keep, ("", 0.0)))
                    decisions.append(MergeDecision(canonical, entities[i], reason, score))
        return decisions


def resolve_entities(entities: Sequence[Entity], *, embedder: Embedder | None = None,
                     threshold: float = 0.85,
                     aliases: Mapping[str, str] | None = None) -> list[MergeDecision]:
    return EntityResolver(embedder, threshold=threshold, aliases=aliases).resolve(entities)


def _type_buckets(entities: Sequence[Entity], members: list[int]) -> list[list[int]]:
    """Members with one key split by type: each specific type is a bucket; untyped ("other")
    members join the specific bucket when there is exactly one, else stay on their own."""
    buckets: dict[str, list[int]] = {}
    for i in members:
        buckets.setdefault(entities[i].type, []).append(i)
    loose = buckets.pop("other", [])
    specific = list(buckets)
    if loose and len(specific) == 1:
        buckets[specific[0]] = sorted(buckets[specific[0]] + loose)
    elif loose:
        buckets["other"] = loose
    return list(buckets.values())


def _preference(entity: Entity, position: int) -> tuple:
    """Which member survives: a specific type, more mentions, proper casing, the shorter
    name ("Neo4j" over "Neo4j, Inc."), then the earlier one (stored entities come first)."""
    mentions = entity.properties.get("mentions", 0)
    return (entity.type in SPECIFIC_TYPES, mentions if isinstance(mentions, int | float) else 0,
            entity.name != entity.name.lower(), -len(entity.name), -position)


def _merged_type(entities: Sequence[Entity], members: list[int], current: str) -> str:
    if current != "other":
        return current
    return next((entities[i].type for i in members if entities[i].type != "other"), current)


def _bigram_dice(a: str, b: str) -> float:
    grams_a = {a[i: i + 2] for i in range(len(a) - 1)} or {a}
    grams_b = {b[i: i + 2] for i in range(len(b) - 1)} or {b}
    return 2 * len(grams_a & grams_b) / (len(grams_a) + len(grams_b))
