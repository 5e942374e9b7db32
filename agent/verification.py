"""Answer verification: is each sentence of an answer supported by the evidence?

Each sentence is scored from signals measured against the evidence (see
``agent.support``): content words and word pairs not found in the evidence, names and
numbers that disagree with it, and the embedding similarity to the closest evidence
sentence. The weights and the threshold were calibrated once on a development slice of
HaluEval (``benchmarks/grounding.py --calibrate``) and are fixed here. With a judge (an
LLM that can follow instructions), each claim is also checked by the model and the two
scores are averaged.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from agent.answer_check import focused_answer
from agent.claims import Span, split_sentences, strip_citations
from agent.degenerate import degenerate
from agent.errors import ConfigError
from agent.grounding_policy import PolicyOutcome, apply_policy
from agent.judge import judge_claims
from agent.relevance import answers_question, relevant_passages
from agent.support import EvidenceView, Signals, measure
from agent.word_meaning import WordMeaning
from graph.embedding import Embedder
from memory.parts import Passage

__all__ = ["PolicyOutcome", "ScoreWeights", "SentenceCheck", "Verification", "Verifier", "apply_policy"]


@dataclass(frozen=True, slots=True)
class ScoreWeights:
    """score = sigmoid(z) with
    z = phrase * (phrase support - phrase_floor) - terms * log(1 + content words found nowhere)
        - entities * log(1 + names found nowhere) - numbers * log(1 + numbers/dates found nowhere)
        - links * log(1 + neighbouring content words never found in one evidence sentence).
    Phrase support is the share of the sentence's word pairs found in the evidence, or, for an
    English paraphrase, its embedding similarity to the closest evidence sentence mapped from
    [paraphrase_floor, paraphrase_full] onto [0, 1], whichever is higher."""

    phrase: float = 3.0
    phrase_floor: float = 0.8
    missing_terms: float = 1.0
    missing_entities: float = 1.0
    missing_numbers: float = 3.0
    missing_links: float = 1.5
    paraphrase_floor: float = 0.7
    paraphrase_full: float = 0.95


DEFAULT_WEIGHTS = ScoreWeights()
DEFAULT_THRESHOLD = 0.5
QUOTE_MIN_CHARS = 12  # shorter text may occur anywhere by chance


@dataclass(frozen=True, slots=True)
class SentenceCheck:
    text: str
    start: int  # character offsets in the answer
    end: int
    score: float
    supported: bool
    citations: tuple[int, ...]  # 1-based evidence numbers
    claim: bool = True  # False for small talk with nothing to check ("Sure!")


@dataclass(frozen=True, slots=True)
class Verification:
    sentences: tuple[SentenceCheck, ...]
    score: float  # 0..1, how well the whole answer is grounded
    grounded: bool
    answer: str = ""  # the text that was verified (offsets refer to it)
    answered: bool = True  # False when the answer lacks what is asked, or gives it where the focus is not

    @property
    def citations(self) -> tuple[int, ...]:
        """Evidence numbers cited by supported sentences, in order of first use."""
        seen = dict.fromkeys(n for s in self.sentences if s.supported for n in s.citations)
        return tuple(seen)

    @property
    def unsupported(self) -> tuple[SentenceCheck, ...]:
        return tuple(s for s in self.sentences if not s.supported)


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def _phrase_support(signals: Signals, weights: ScoreWeights) -> float:
    exact = 1.0 - signals.missing_pairs / signals.pairs if signals.pairs else 1.0
    if signals.cjk:
        return exact
    span = weights.paraphrase_full - weights.paraphrase_floor
    return max(exact, min(max((signals.similarity - weights.paraphrase_floor) / span, 0.0), 1.0))


def grounding_score(signals: Sequence[Signals], weights: ScoreWeights = DEFAULT_WEIGHTS) -> float:
    """One score for one sentence or for several together (their counts are added up)."""
    claims = [s for s in signals if s.is_claim]
    if not claims:
        return 1.0
    sizes = [max(s.pairs, 1) for s in claims]
    support = sum(n * _phrase_support(s, weights) for n, s in zip(sizes, claims, strict=True)) / sum(sizes)
    z = weights.phrase * (support - weights.phrase_floor)
    for name in ("missing_terms", "missing_entities", "missing_numbers", "missing_links"):
        z -= getattr(weights, name) * math.log1p(sum(getattr(s, name) for s in claims))
    return _sigmoid(z)


def _quoted_from(sentence: str, evidence: Sequence[Passage]) -> int | None:
    """The 1-based number of the passage that holds ``sentence`` word for word (spacing aside)."""
    said = " ".join(sentence.split()).rstrip("。.!！;；")
    if len(said) < QUOTE_MIN_CHARS:
        return None
    return next((n for n, p in enumerate(evidence, start=1) if said in " ".join(p.text.split())), None)


class Verifier:
    """Checks answers against evidence. Give it the embedder the agent already uses."""

    def __init__(self, embedder: Embedder | None = None, *, threshold: float = DEFAULT_THRESHOLD,
                 judge=None, weights: ScoreWeights = DEFAULT_WEIGHTS,
                 meaning: WordMeaning | None = None) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise ConfigError(f"The verifier threshold must be between 0 and 1, got {threshold}; "
                              "0.5 is the calibrated default.")
        self.embedder = embedder
        self.meaning = meaning or WordMeaning(embedder)  # share the reader's: one cache of word vectors
        self.threshold = threshold
        self.judge = judge
        self.weights = weights

    def verify(self, answer: str, evidence: Sequence[Passage], *, question: str = "",
               quoted: bool = False) -> Verification:
        spans = split_sentences(answer)
        if not spans:
            return Verification((), 0.0, False, answer)
        texts = [strip_citations(span.text) for span in spans]
        view = EvidenceView.build([p.text for p in evidence], question)
        signals = [measure(text, None, view) for text in texts]
        if evidence:
            signals = self._with_similarity(texts, signals, view)
        scores = [grounding_score([s], self.weights) if evidence else 0.0 for s in signals]
        overall = grounding_score(signals, self.weights) if evidence else 0.0
        if self.judge is not None and evidence:
            scores, overall = self._with_judge(texts, signals, view, scores, overall)
        checks = tuple(self._check(span, s, score) for span, s, score in zip(spans, signals, scores,
                                                                              strict=True))
        if quoted:  # a sentence quoted word for word says what its passage says
            where = [_quoted_from(text, evidence) for text in texts]
            checks = tuple(c if n is None else replace(c, score=1.0, supported=True, citations=(n,))
                           for c, n in zip(checks, where, strict=True))
            rest = [s for s, n in zip(signals, where, strict=True) if n is None]
            overall = grounding_score(rest, self.weights) if evidence else 0.0
        if not any(s.is_claim for s in signals):
            overall = 1.0 if evidence else 0.0
        grounded = overall >= self.threshold and all(c.supported for c in checks if c.claim)
        grounded = grounded and degenerate(answer, question=question, quoted=quoted) is None
        answered = True
        if question.strip():  # it gives what is asked, next to the question's focus in the evidence
            answered = answers_question(answer, question) and focused_answer(
                answer, question, [f"{p.source}\n{p.text}" for p in evidence], self.embedder, self.meaning)
        return Verification(checks, overall, grounded, answer, answered)

    def relevant(self, question: str, evidence: Sequence[Passage]) -> tuple[int, ...]:
        """0-based indices of the passages that plausibly hold the answer to ``question``."""
        return relevant_passages(question, [p.text for p in evidence], self.embedder)

    def _with_similarity(self, texts: list[str], signals: list[Signals], view: EvidenceView) -> list[Signals]:
        """Measure again, with embeddings, the sentences where similarity can change something:
        English claims not found word for word (a paraphrase may still be supported), and any
        claim when there are several passages to choose citations from."""
        if self.embedder is None:
            return signals
        several = len(view.passages) > 1
        wanted = [i for i, s in enumerate(signals)
                  if s.is_claim and (several or (not s.cjk and s.missing_pairs))]
        if not wanted:
            return signals
        view.embed(self.embedder)
        vectors = self.embedder.embed([texts[i] for i in wanted])
        signals = list(signals)
        for i, vector in zip(wanted, vectors, strict=True):
            signals[i] = measure(texts[i], vector, view)
        return signals

    def _check(self, span: Span, signals: Signals, score: float) -> SentenceCheck:
        if not signals.is_claim:
            return SentenceCheck(span.text, span.start, span.end, score, True, (), claim=False)
        supported = score >= self.threshold
        citations = tuple(i + 1 for i in signals.best_passages) if supported else ()
        return SentenceCheck(span.text, span.start, span.end, score, supported, citations)

    def _with_judge(self, texts, signals, view, scores, overall):
        claims = [i for i, s in enumerate(signals) if s.is_claim]
        verdicts = judge_claims(self.judge, [texts[i] for i in claims], view.passages)
        scores = list(scores)
        for i, verdict in zip(claims, verdicts, strict=True):
            if verdict is not None:
                scores[i] = (scores[i] + verdict) / 2
        judged = [v for v in verdicts if v is not None]
        if judged:
            overall = (overall + min(judged)) / 2
        return scores, overall
