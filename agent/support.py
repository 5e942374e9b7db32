"""How well one sentence is supported: the signals, measured against an evidence view.

The evidence view is built once per answer: every passage cut into sentences (and
pairs of neighbouring sentences, for facts that span two), their embeddings, and the
words, names, numbers and dates found in the evidence. Words from the question (or the
dialogue so far) are *licensed*: an answer may repeat them without evidence, but they
never earn a citation.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from agent.claim_terms import (
    acronym,
    en_content_stems,
    en_entities,
    zh_content_words,
    zh_entities,
)
from agent.claims import language_of, split_sentences
from agent.numbers import Quantity, month_days, quantities, same_quantity
from graph.cjk import has_cjk
from graph.embedding import Embedder

_TOKEN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[a-z0-9]+")
_ZH_GLUE = frozenset("的了是在于和与及也都就而并被把对从向为以之其这那有个着过将已共约")
_GLUED = re.compile(r"(?<=[a-z0-9)\"”])\.(?=[A-Z])")  # "century.First for Women" -> two sentences


@dataclass(frozen=True, slots=True)
class Unit:
    passage: int  # 0-based
    text: str
    pair: bool = False  # two neighbouring sentences joined


@dataclass(slots=True)
class Lexicon:
    """Words, names, numbers and dates of some text, for membership tests."""

    text: str
    stems: set[str] = field(default_factory=set)
    quantities: list[Quantity] = field(default_factory=list)
    dates: set[str] = field(default_factory=set)
    acronyms: set[str] = field(default_factory=set)
    bigrams: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, text: str) -> Lexicon:
        lexicon = cls(text=_fold(text))
        lexicon.bigrams = set(bigrams(text))
        lexicon.stems = set(en_content_stems(text))
        lexicon.quantities = quantities(text)
        lexicon.dates = {key for key, _, _ in month_days(text)}
        lexicon.acronyms = {a.lower() for name in en_entities(text) if (a := acronym(name))}
        return lexicon

    def term_support(self, term: str) -> float:
        """1.0 when the word occurs; for a Chinese compound that does not, the share of its
        character pairs that do ("香港立法会" against "香港特区第七届立法会")."""
        if self.has_term(term):
            return 1.0
        if has_cjk(term) and len(term) >= 3:
            pairs = bigrams(term)
            return sum(1 for p in pairs if p in self.bigrams) / len(pairs) * 0.9
        return 0.0

    def has_term(self, term: str) -> bool:
        if has_cjk(term):
            return term in self.text
        return term in self.stems or term in self.acronyms or _word_in(term, self.text)

    def has_entity(self, name: str) -> float:
        """1.0 when the name occurs, else the share of its words that occur (0 for none)."""
        folded = _fold(name)
        if _word_in(folded, self.text) or folded in self.acronyms:
            return 1.0
        if has_cjk(name):
            return 0.0
        words = [w for w in en_content_stems(name)]
        if not words:
            return 1.0
        return sum(1 for w in words if w in self.stems) / len(words)

    def has_quantity(self, claimed: Quantity) -> bool:
        if claimed.text.strip().lower() in self.text:
            return not claimed.text.strip().isdigit() or _word_in(claimed.text.strip(), self.text)
        return any(same_quantity(claimed, known) for known in self.quantities)


def bigrams(text: str) -> list[str]:
    """Neighbouring pairs of tokens (lower-cased words, single CJK characters)."""
    tokens = _TOKEN.findall(_fold(text))
    return [f"{a} {b}" for a, b in itertools.pairwise(tokens)]


def claim_pairs(text: str) -> list[str]:
    """The pairs a claim is checked on: all of them in English (wording matters there), in
    Chinese those without a function character ("于", "的"), whose use varies freely."""
    return [p for p in bigrams(text) if not _ZH_GLUE.intersection(p.split())]


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower().replace("’", "'"))


def _word_in(phrase: str, text: str) -> bool:
    if has_cjk(phrase):
        return phrase in text
    return re.search(rf"(?<![A-Za-z0-9]){re.escape(phrase)}(?![A-Za-z0-9])", text) is not None


def evidence_units(passages: Sequence[str]) -> list[Unit]:
    """Sentences of every passage, and each pair of neighbouring sentences."""
    units = []
    for index, passage in enumerate(passages):
        sentences = [s.text for s in split_sentences(_GLUED.sub(". ", passage))]
        units += [Unit(index, s) for s in sentences]
        units += [Unit(index, f"{a} {b}", True) for a, b in itertools.pairwise(sentences)]
        if not sentences and passage.strip():
            units.append(Unit(index, passage.strip()))
    return units


@dataclass(slots=True)
class EvidenceView:
    passages: tuple[str, ...]
    units: list[Unit]
    evidence: Lexicon
    licensed: Lexicon  # evidence plus question / dialogue context
    per_passage: list[Lexicon]
    unit_words: list[tuple[str, set[str]]]  # each unit's folded text and English stems
    vectors: np.ndarray | None = None  # embeddings of the single-sentence units, once embedded

    @classmethod
    def build(cls, passages: Sequence[str], context: str = "") -> EvidenceView:
        units = evidence_units(passages)
        joined = "\n".join(passages)
        unit_words = [(_fold(u.text), set(en_content_stems(u.text))) for u in units]
        return cls(tuple(passages), units, Lexicon.of(joined), Lexicon.of(joined + "\n" + context),
                   [Lexicon.of(p) for p in passages], unit_words)

    @property
    def sentences(self) -> list[Unit]:
        return [u for u in self.units if not u.pair]

    def embed(self, embedder: Embedder) -> None:
        """Embed the evidence sentences (once); only needed for similarity."""
        if self.vectors is None and self.sentences:
            self.vectors = embedder.embed([u.text for u in self.sentences])

    def together(self, first: str, second: str) -> bool:
        """Whether two words occur in one evidence sentence (or two neighbouring ones)."""
        return any(_in_unit(first, text, stems) and _in_unit(second, text, stems)
                   for text, stems in self.unit_words)


def _in_unit(term: str, text: str, stems: set[str]) -> bool:
    return term in text if has_cjk(term) else term in stems or _word_in(term, text)


@dataclass(frozen=True, slots=True)
class Signals:
    similarity: float  # best cosine between the sentence and an evidence unit (0 without embedder)
    coverage: float  # share of content words found in evidence or context (1.0 when none)
    terms: int
    entities: int
    missing_entities: float  # names not found (partly found names count in part)
    numbers: int
    missing_numbers: int
    missing_terms: float  # content words found neither in the evidence nor in the context
    pairs: int  # neighbouring word pairs (phrases) in the sentence
    missing_pairs: int  # of those, not found in the evidence (the question does not count here)
    cjk: bool  # Chinese (the packaged MiniLM embedder is English-only)
    links: int  # neighbouring content words (the sentence's relations)
    missing_links: int  # of those, not found together in one evidence sentence
    best_passages: tuple[int, ...]  # 0-based, most supportive first

    @property
    def is_claim(self) -> bool:
        return bool(self.terms or self.entities or self.numbers)


def sentence_terms(sentence: str) -> list[str]:
    if language_of(sentence) == "zh" or has_cjk(sentence):
        return zh_content_words(sentence)
    return en_content_stems(sentence)


def sentence_entities(sentence: str) -> list[str]:
    if has_cjk(sentence):
        return zh_entities(sentence) + [e for e in en_entities(sentence) if not has_cjk(e)]
    return en_entities(sentence)


def _claimed_quantities(sentence: str) -> tuple[list[Quantity], list[str]]:
    """Numbers outside dates, and the month-day keys of the dates."""
    dates = month_days(sentence)
    inside = [(start, end) for _, start, end in dates]
    numbers = [q for q in quantities(sentence)
               if not any(start <= q.start < end for start, end in inside)]
    return numbers, [key for key, _, _ in dates]


def measure(sentence: str, vector: np.ndarray | None, view: EvidenceView) -> Signals:
    terms = sentence_terms(sentence)
    entities = list(dict.fromkeys(sentence_entities(sentence)))
    numbers, dates = _claimed_quantities(sentence)
    support = [view.licensed.term_support(t) for t in terms]
    missing_entities = sum(1.0 - view.licensed.has_entity(e) for e in entities)
    missing_numbers = sum(1 for q in numbers if not view.licensed.has_quantity(q))
    missing_numbers += sum(1 for d in dates if d not in view.licensed.dates)
    pairs = claim_pairs(sentence)
    links = [(a, b) for a, b in itertools.pairwise(terms) if a != b]
    similarity, best = _similarity(vector, view, terms)
    return Signals(
        similarity=similarity, coverage=sum(support) / len(terms) if terms else 1.0,
        terms=len(terms), entities=len(entities), missing_entities=missing_entities,
        numbers=len(numbers) + len(dates), missing_numbers=missing_numbers,
        missing_terms=round(len(terms) - sum(support), 3), pairs=len(pairs),
        missing_pairs=sum(1 for p in pairs if p not in view.evidence.bigrams), best_passages=best,
        cjk=has_cjk(sentence), links=len(links),
        missing_links=sum(1 for a, b in links if not view.together(a, b)),
    )


def _similarity(vector: np.ndarray | None, view: EvidenceView,
                terms: list[str]) -> tuple[float, tuple[int, ...]]:
    """Best unit cosine, and passages ranked by cosine plus their share of the sentence's words."""
    count = len(view.passages)
    if count == 0:
        return 0.0, ()
    per_passage = np.zeros(count)
    best = 0.0
    if vector is not None and view.vectors is not None and len(view.vectors):
        cosines = view.vectors @ vector
        best = float(cosines.max())
        for unit, cosine in zip(view.sentences, cosines, strict=True):
            per_passage[unit.passage] = max(per_passage[unit.passage], float(cosine))
    if terms:
        per_passage += np.array([sum(lex.has_term(t) for t in terms) / len(terms)
                                 for lex in view.per_passage])
    order = [int(i) for i in np.argsort(-per_passage, kind="stable") if per_passage[i] > 0]
    top = per_passage[order[0]] if order else 0.0
    return best, tuple(i for i in order[:2] if per_passage[i] >= 0.85 * top)
