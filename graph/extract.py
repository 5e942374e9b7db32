"""Entity and relation extraction: one interface, two modes picked by name.

- ``fast`` (:class:`graph.extract_fast.FastExtractor`): no LLM; jieba part-of-speech tags for
  Chinese, spaCy's en_core_web_sm named entities and noun phrases for English, dates by pattern,
  types corrected by the words around a name; relations the text states by pattern
  (:mod:`graph.extract_relations`: founded_by, headquartered_in, works_for ...), otherwise
  co-occurrence within a sentence, weighted by count.
- ``llm`` (:class:`graph.extract_llm.LLMExtractor`): (subject, relation, object) triples from a
  model constrained to a JSON schema, validated before they are returned.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Protocol, runtime_checkable

from graph.chunking import TextSpan
from graph.errors import ConfigError, CongmingError
from graph.types import ENTITY_TYPES

CO_OCCURS = "co_occurs"


class ExtractionError(CongmingError):
    """The extractor could not make sense of the model's output; ``raw`` holds it."""

    def __init__(self, message: str, raw: str = "") -> None:
        self.raw = raw
        shown = raw if len(raw) <= 300 else raw[:300] + "..."
        super().__init__(f"{message} The chunk is skipped; a larger model or the 'fast' "
                         f"extractor may do better. Model output: {shown!r}")


@dataclass(frozen=True, slots=True)
class ExtractedEntity:
    name: str
    type: str  # one of graph.types.ENTITY_TYPES
    mentions: tuple[tuple[int, int], ...] = ()  # (start, end) offsets in the extracted text


@dataclass(frozen=True, slots=True)
class ExtractedRelation:
    subject: str  # entity names
    relation: str  # snake_case, e.g. "works_at"; "co_occurs" is undirected
    object: str
    weight: float = 1.0
    evidence: str = ""  # the sentence it was found in


@dataclass(frozen=True, slots=True)
class Extraction:
    entities: tuple[ExtractedEntity, ...] = ()
    relations: tuple[ExtractedRelation, ...] = ()
    dropped: tuple[str, ...] = ()  # why parts of a model's output were rejected


@runtime_checkable
class Extractor(Protocol):
    name: str

    def extract(self, text: str) -> Extraction: ...


class EntityCollector:
    """Gathers mentions per entity name. The type is the most frequent one given (ties go to
    the more specific type: person/place/organization before concept/other); types given as
    ``sure`` (by the words around a name: "X 成立于", "the product, X") outvote the tagger's
    guesses everywhere in the text."""

    def __init__(self) -> None:
        self._mentions: dict[str, dict[tuple[int, int], str]] = {}  # name -> span -> type given
        self._sure: dict[str, Counter[str]] = defaultdict(Counter)

    def add(self, name: str, type_: str, start: int, end: int, *, sure: bool = False) -> None:
        name = " ".join(name.split())
        if not name:
            return
        if type_ not in ENTITY_TYPES:
            raise ValueError(f"unknown entity type {type_!r}")
        self._mentions.setdefault(name, {}).setdefault((start, end), type_)
        if sure:
            self._sure[name][type_] += 1

    def retype(self, name: str, type_: str) -> None:
        """The words around one of ``name``'s mentions say it is a ``type_``."""
        if name in self._mentions:
            self._sure[name][type_] += 1

    def claim(self, name: str, start: int, end: int) -> None:
        """[start, end) writes ``name`` out whole: it is a mention of ``name`` (typed as its other
        mentions are), and what was found inside it ("Zephyr" of "Zephyr lamp") is not."""
        if name not in self._mentions:
            return
        for other, spans in list(self._mentions.items()):
            if other == name:
                continue
            for s, e in [span for span in spans if start <= span[0] and span[1] <= end]:
                del spans[(s, e)]
            if not spans:
                del self._mentions[other]
                self._sure.pop(other, None)
        self._mentions[name].setdefault((start, end), "")

    def mentions(self) -> list[tuple[str, int, int]]:
        return [(name, s, e) for name, spans in self._mentions.items() for s, e in spans]

    def types(self) -> dict[str, str]:
        return {entity.name: entity.type for entity in self.entities()}

    def entities(self) -> tuple[ExtractedEntity, ...]:
        def best_type(votes: Counter[str]) -> str:
            return max(votes, key=lambda t: (votes[t], t not in ("concept", "other")))

        out = []
        for name, spans in sorted(self._mentions.items(), key=lambda item: min(item[1])):
            given = Counter(type_ for type_ in spans.values() if type_)  # claimed spans give none
            out.append(ExtractedEntity(name, best_type(self._sure[name] or given), tuple(sorted(spans))))
        return tuple(out)


def co_occurrences(
    sentences: Iterable[TextSpan],
    mentions: Iterable[tuple[str, int, int]],
    *,
    max_entities_per_sentence: int = 12,
    related: Iterable[ExtractedRelation] = (),
) -> tuple[ExtractedRelation, ...]:
    """Undirected ``co_occurs`` relations between entities mentioned in the same sentence.

    The weight is the number of sentences the pair shares; the subject is the name that
    sorts first; the evidence is the first shared sentence. Sentences naming more than
    ``max_entities_per_sentence`` entities (tables, lists) keep only their first ones.
    Pairs already joined by one of the ``related`` (named) relations get no co-occurrence.
    """
    named = {frozenset((r.subject, r.object)) for r in related}
    ordered = sorted(mentions, key=lambda m: m[1])
    starts = [start for _, start, _ in ordered]
    weights: Counter[tuple[str, str]] = Counter()
    evidence: dict[tuple[str, str], str] = {}
    for sentence in sentences:
        names: list[str] = []
        for name, start, end in ordered[bisect_left(starts, sentence.start):]:
            if start >= sentence.end:
                break
            if end <= sentence.end and name not in names:
                names.append(name)
        for a, b in combinations(names[:max_entities_per_sentence], 2):
            if frozenset((a, b)) in named:
                continue
            pair = (a, b) if (a.casefold(), a) <= (b.casefold(), b) else (b, a)
            weights[pair] += 1
            evidence.setdefault(pair, sentence.text)
    return tuple(
        ExtractedRelation(a, CO_OCCURS, b, float(weight), evidence[(a, b)])
        for (a, b), weight in weights.items()
    )


EXTRACTORS = ("fast", "llm")


def create_extractor(name: str, *, llm: Any = None, **options: Any) -> Extractor:
    """``fast`` (no model) or ``llm`` (needs ``llm``: an object with ``complete_json``, see
    :class:`graph.extract_llm.JsonLLM`; agent/llm/structured.py adapts any agent LLM)."""
    if name == "fast":
        from graph.extract_fast import FastExtractor

        return FastExtractor(**options)
    if name == "llm":
        if llm is None:
            raise ConfigError("The 'llm' extractor needs a language model; pass llm=..., or "
                              "use the 'fast' extractor, which needs none.")
        from graph.extract_llm import LLMExtractor

        return LLMExtractor(llm, **options)
    raise ConfigError(f"Unknown extractor {name!r}; choose one of {list(EXTRACTORS)}.")
