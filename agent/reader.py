"""The evidence-first reader: answers a question from the evidence itself, without an LLM.

From the question it takes the expected answer type, the focus words and the names it is
about (agent/question.py). Every evidence sentence is scored on how much of the focus it
carries (the word itself, a paraphrase, or for English its embedding similarity to the
question), whether the question's names occur in it or in its passage, and whether it
holds an answer span of the expected type (agent/spans.py) that the question does not
already contain. The best such sentence gives the answer: the span, then the sentence
quoted with its citation. When no sentence carries both the focus and a span of the right
type, the reader declines (returns None): a wrong answer with a citation is worse than none.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from agent.claims import split_sentences, strip_citations
from agent.focus import FocusMatch, Text, focus_match, names_support, numbers_present, term_credit
from agent.question import AnswerType, Question, analyse
from agent.spans import AnswerSpan, spans
from graph.embedding import Embedder
from memory.parts import Passage

FOCUS_MIN = 0.7  # share of the focus (by weight) a sentence must carry
ABSENT_MAX = 0.3  # share of the focus its passage may lack altogether (a paraphrase nobody listed)
NAMES_MIN = 0.5  # share of the question's names its passage must mention
SIMILARITY_FLOOR = 0.6  # English: a sentence closer to the question than this (cosine) gets a lift,
SIMILARITY_LIFT = 0.3  # up to this much focus support at cosine 0.8 and above
_NEGATION = re.compile(r"\b(?:not|never|no|none|cannot|can't|doesn't|don't|isn't|wasn't)\b|[不没未无非]")
_FORMER = re.compile(r"\b(?:until|former|formerly|previously|used to|originally|was|were|had been)\b|"
                     r"原来|原定|以前|曾经|之前|过去", re.IGNORECASE)
_CURRENT = re.compile(r"\b(?:current|currently|now|today|present|new|latest|moved to)\b|"
                      r"现在|目前|如今|现任|改为|推迟到|改到|最新|搬到", re.IGNORECASE)
_CHANGED_TO = re.compile(r"(?:推迟到|提前到|改为|改到|改成|变为|调整为|升到|降到|"
                         r"moved to|postponed to|changed to|now|instead)\s*$", re.IGNORECASE)
_CHANGED_FROM = re.compile(r"(?:原定的?|原来的?|原先的?|从|由|\bfrom|\bwas|\bformerly|\boriginally)\s*$",
                           re.IGNORECASE)
_MARKUP = re.compile(r"^\s*(?:[-*+•]|\d+[.)]|#+)\s+|\*\*|__|`")
_MAX_SENTENCES = 400  # sentences scored per question (evidence is a handful of passages)


@dataclass(frozen=True, slots=True)
class Reading:
    answer: str  # the reply: the short answer, then the quoted sentence with its citation
    short: str  # the short answer (the span, "Yes"/"No"), or "" when the sentence is the answer
    sentence: str  # the supporting evidence (one sentence, or two neighbouring ones), verbatim
    passage: int  # 1-based evidence number
    score: float
    trace: str  # how the reader got there, for the Reasoning step


@dataclass(frozen=True, slots=True)
class _Candidate:
    passage: int  # 0-based
    sentence: str
    focus: FocusMatch  # with the lift of an English paraphrase
    lexical: float  # focus support from the words alone
    names: float
    similarity: float
    found: tuple[AnswerSpan, ...]
    pair: bool = False
    heading: bool = False  # a title or heading line: it names a topic, it answers nothing by itself
    tense: float = 0.0  # + for a current value when the question asks for one, - for a former one

    @property
    def score(self) -> float:
        return (0.6 * self.focus.support + 0.25 * self.names + 0.15 * self.similarity + self.tense
                - (0.05 if self.pair else 0.0))


def _outside_question(found: list[AnswerSpan], question: str) -> tuple[AnswerSpan, ...]:
    """Spans the question does not already contain (the answer is new information)."""
    asked = question.lower()
    return tuple(s for s in found if s.text.lower() not in asked)


def _clean(sentence: str) -> str:
    """A sentence without list bullets and Markdown emphasis."""
    return re.sub(r"\s+", " ", _MARKUP.sub("", _MARKUP.sub("", sentence.strip()))).strip()


def _units(evidence: Sequence[Passage]) -> list[tuple[int, str, bool]]:
    """(passage, text, pair) for each sentence, and each pair of neighbouring sentences."""
    units: list[tuple[int, str, bool]] = []
    for index, passage in enumerate(evidence):
        sentences = [c for s in split_sentences(passage.text) if (c := _clean(s.text))]
        units += [(index, s, False) for s in sentences]
        headings = _headings(passage.text)
        units += [(index, f"{a} {b}", True) for a, b in itertools.pairwise(sentences) if a not in headings]
    return units[:_MAX_SENTENCES]


def _is_heading(sentence: str, passage: Passage) -> bool:
    return sentence in _headings(passage.text) or sentence.strip() in passage.source


class Reader:
    """Answers from evidence passages. Give it the agent's embedder (English paraphrases)."""

    def __init__(self, embedder: Embedder | None = None) -> None:
        self.embedder = embedder

    def read(self, question_text: str, evidence: Sequence[Passage]) -> Reading | None:
        question = analyse(question_text)
        if not question.terms or not evidence:
            return None  # "hello", "what is it?": nothing to look for
        candidates = self._candidates(question, evidence)
        answering = [c for c in candidates if self._answers(question, c)]
        if not answering:
            return None
        best = max(answering, key=lambda c: (c.score, -c.passage))
        return self._reading(question, best, evidence)

    def _candidates(self, question: Question, evidence: Sequence[Passage]) -> list[_Candidate]:
        units = _units(evidence)
        similarities = self._similarities(question, [text for _, text, _ in units])
        contexts = [Text.of(f"{p.source}\n{p.text}") for p in evidence]
        headings = [Text.of(f"{p.source}\n{_headings(p.text)}") for p in evidence]
        out = []
        for (index, sentence, pair), similarity in zip(units, similarities, strict=True):
            passage = evidence[index]
            if not numbers_present(question, f"{sentence}\n{passage.source}\n{_headings(passage.text)}"):
                continue
            raw = _outside_question(_spans_of(sentence, question.answer_type), question.text)
            if pair and _both_halves_have(raw, sentence):
                continue  # each sentence answers for itself (or not); the pair adds nothing
            found = _in_focus_clauses(question, sentence, raw)
            scope = f"{passage.source}\n{_headings(passage.text)}"
            if question.numbers and not numbers_present(question, scope):
                found = tuple(s for s in found if _half_has_numbers(question, sentence, s))
            lexical = focus_match(question, Text.of(sentence), contexts[index], headings[index],
                                  typed=bool(found))
            focus = _lifted(lexical, similarity)
            names = max(names_support(question, sentence),
                        names_support(question, f"{passage.source}\n{passage.text}") * 0.9)
            out.append(_Candidate(index, sentence, focus, lexical.support, names, similarity, found, pair,
                                  _is_heading(sentence, passage), _tense(question, sentence)))
        return out

    def _similarities(self, question: Question, sentences: list[str]) -> list[float]:
        if self.embedder is None or question.language != "en" or not sentences:
            return [0.0] * len(sentences)
        vectors = self.embedder.embed([question.text, *sentences])
        return [float(v) for v in np.asarray(vectors[1:]) @ np.asarray(vectors[0])]

    @staticmethod
    def _answers(question: Question, candidate: _Candidate) -> bool:
        focus = candidate.focus
        if focus.support < FOCUS_MIN or focus.absent > ABSENT_MAX or candidate.names < NAMES_MIN:
            return False
        if question.focus and focus.in_sentence == 0:
            return False  # the sentence itself must carry some of the focus
        kind = question.answer_type
        if kind in ("thing", "yesno") or (kind == "name" and not candidate.found):
            # the sentence itself is the answer: every focus word must be in it, word for word
            return (candidate.lexical >= 0.9 and candidate.names >= 0.8 and not candidate.pair
                    and not candidate.heading)
        return bool(candidate.found)

    def _reading(self, question: Question, best: _Candidate, evidence: Sequence[Passage]) -> Reading:
        short = self._short_answer(question, best)
        number = best.passage + 1
        source = evidence[best.passage].source
        if question.language == "zh":
            quote = f"出自{('《' + source + '》') if source else '资料'}：“{best.sentence}”"
            answer = f"{short}[{number}]。\n{quote}" if short else f"{quote}[{number}]"
        else:
            quote = f"From {source or 'the evidence'}: “{best.sentence}”"
            answer = f"{short} [{number}]\n{quote}" if short else f"{quote} [{number}]"
        trace = (f"question type: {question.answer_type}; focus: {', '.join(question.terms) or '-'}; "
                 f"names: {', '.join(question.names) or '-'}; best sentence [{number}] "
                 f"(focus {best.focus.support:.2f}, names {best.names:.2f}, "
                 f"similarity {best.similarity:.2f}); "
                 f"answer: {short or 'the sentence itself'}")
        return Reading(answer, short, best.sentence, number, best.score, trace)

    @staticmethod
    def _short_answer(question: Question, best: _Candidate) -> str:
        if question.answer_type == "yesno":
            negated = bool(_NEGATION.search(best.sentence)) != bool(_NEGATION.search(question.text))
            if question.language == "zh":
                return "不是" if negated else "是的"
            return "No" if negated else "Yes"
        span = _best_span(question, best) if best.found else None
        return span.text.strip(" ,.;:，。；：") if span is not None else ""


def _spans_of(text: str, kind: AnswerType) -> list[AnswerSpan]:
    """Spans of each sentence of ``text`` (a name never runs across two sentences); for a name, no
    dates ("Thursday 19 June" is no hotel)."""
    found = [AnswerSpan(s.text, piece.start + s.start, piece.start + s.end)
             for piece in split_sentences(text) for s in spans(piece.text, kind)]
    if kind in ("name", "place", "person"):
        found = [s for s in found if not spans(s.text, "date")]
    return found


def _both_halves_have(found: tuple[AnswerSpan, ...], text: str) -> bool:
    halves = split_sentences(text)
    return len(halves) >= 2 and all(any(h.start <= s.start < h.end for s in found) for h in halves[:2])


def _half_has_numbers(question: Question, text: str, span: AnswerSpan) -> bool:
    """The sentence holding ``span`` writes the question's numbers (a year: the answer is that year's)."""
    return any(p.start <= span.start < p.end and numbers_present(question, p.text)
               for p in split_sentences(text))


def _lifted(focus: FocusMatch, similarity: float) -> FocusMatch:
    """An English sentence very close to the question in meaning carries more of its focus than
    its words show ("ferry from the quay at 12:30" for "when does the ferry leave the quay")."""
    share = (similarity - SIMILARITY_FLOOR) / (1.0 - SIMILARITY_FLOOR - 0.2)
    lift = min(max(share, 0.0), 1.0) * SIMILARITY_LIFT
    return replace(focus, support=min(focus.support + lift, 1.0)) if lift else focus


def _headings(text: str) -> str:
    """The heading lines of a passage (Markdown headings, short lines without a full stop): they
    scope the sentences below them ("## App 3.2 progress")."""
    lines = [line.strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line.startswith("#")
                     or (0 < len(line) <= 40 and not re.search(r"[.。！？!?；;]$", line)))


_CLAUSE = re.compile(r"[^,，;；]+")


def _in_focus_clauses(question: Question, text: str,
                      found: tuple[AnswerSpan, ...]) -> tuple[AnswerSpan, ...]:
    """The spans whose clause carries a focus word or a name, in each sentence where some clause does:
    in "tickets 20 yuan, students half price" the 20 yuan is not the students' price."""
    if not found:
        return found
    kept = []
    for piece in split_sentences(text):
        clauses = [(piece.start + m.start(), piece.start + m.end())
                   for m in _CLAUSE.finditer(piece.text) if _carries(question, Text.of(m.group()))]
        inside = [s for s in found if piece.start <= s.start < piece.end]
        local = [replace(s, start=s.start - piece.start) for s in inside]
        if _modified_elsewhere(question, piece.text, local):
            continue  # "tickets 20 yuan, students half price": the students' price is not written
        kept += [s for s in inside if not clauses or any(a <= s.start < b for a, b in clauses)]
    return tuple(kept)


_MODIFIER = re.compile(r"半价|免费|打折|[一二三四五六七八九\d]折|减半|加倍|另收|加收|优惠|"
                       r"\bhalf[- ]price\b|\bfree\b|\bdiscount|\breduced\b|\bextra\b|\bsurcharge\b",
                       re.IGNORECASE)
_RELATIVE = re.compile(r"\bthan\b|\bearlier\b|\blater\b|\bbefore the\b|\bafter the\b|"
                       r"比|早[一两三\d]|晚[一两三\d]|提前[一两三\d]|推后", re.IGNORECASE)


def _modified_elsewhere(question: Question, sentence: str, inside: list[AnswerSpan]) -> bool:
    """A clause without the value holds a focus word and a modifier (half price, free, one day
    earlier than): the value asked for is derived from the written one, not written itself."""
    for match in _CLAUSE.finditer(sentence):
        clause = match.group()
        if any(match.start() <= s.start < match.end() for s in inside):
            continue
        if _RELATIVE.search(clause):
            return True  # "on day 2, one day earlier than the other groups": a value relative to another
        if _MODIFIER.search(clause) and any(term_credit(t, Text.of(clause)) >= 0.85 for t in question.focus):
            return True
    return False


def _carries(question: Question, text: Text) -> float:
    """How much of the focus (and the names) a clause carries."""
    return (sum(term_credit(t, text) for t in question.focus if t)
            + sum(n.lower() in text.lowered for n in question.names))


def _tense(question: Question, sentence: str) -> float:
    """For a question about now: a bonus for a sentence giving the current value, a penalty for a
    former one ("served as CTO until 2021")."""
    if not question.now:
        return 0.0
    return 0.1 * bool(_CURRENT.search(sentence)) - 0.1 * bool(_FORMER.search(sentence))


def _best_span(question: Question, best: _Candidate) -> AnswerSpan | None:
    """Of several spans: the new value of a change, then the one whose clause carries the most of
    the focus, then the most specific (a date with digits). None when two are equally good: the
    quoted sentence then answers by itself ("81% of group B, 74% under white light, 62% ...")."""
    if len(best.found) == 1:
        return best.found[0]
    sentence = best.sentence
    clauses = [(m.start(), m.end(), _carries(question, Text.of(m.group())))
               for m in _CLAUSE.finditer(sentence)]

    def around(span: AnswerSpan) -> float:
        return max((c for a, b, c in clauses if a <= span.start < b), default=0.0)

    def current(span: AnswerSpan) -> int:
        """The new value of a change ("postponed from 8 to 22 November"), not the old one."""
        before = sentence[max(0, span.start - 8):span.start]
        return int(bool(_CHANGED_TO.search(before))) - int(bool(_CHANGED_FROM.search(before)))

    def specific(span: AnswerSpan) -> int:
        return int(bool(re.search(r"\d", span.text))) if question.answer_type in ("date", "time") else 0

    anchors = [m.end() for term in (*question.terms, *question.names) if term
               for m in re.finditer(re.escape(term.lower()), sentence.lower())]
    reach = 4 if question.language == "zh" else 25

    def bound(span: AnswerSpan) -> int:
        """A focus word or a name just before the span ("满意度为4.3分", "head office to ... Port Ellery")."""
        return int(any(0 <= span.start - a <= reach for a in anchors))

    def key(span: AnswerSpan) -> tuple[int, float, int, int]:
        return current(span), around(span), bound(span), specific(span)

    ranked = sorted(best.found, key=key, reverse=True)
    return None if key(ranked[0]) == key(ranked[1]) else ranked[0]


def _digits(text: str) -> list[str]:
    return re.findall(r"\d+(?:\.\d+)?", text.replace(",", ""))


def _fold(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def _span_in(span: AnswerSpan, sentence: str) -> bool:
    numbers = _digits(span.text)
    if numbers:
        held = _digits(sentence)
        return all(n in held for n in numbers)
    return _fold(span.text) in _fold(sentence)


def focused_answer(answer: str, question_text: str, passages: Sequence[str],
                   embedder: Embedder | None = None) -> bool:
    """The question-aware check: an answer that gives a value of the asked kind (a date for
    "when", a person for "who") passes only if one evidence sentence holds that value together
    with the question's focus. "2023" for "When was it founded?" fails when 2023 occurs only in
    "In 2023 it employed 340 people". Answers that give no such value pass (other checks decide)."""
    question = analyse(question_text)
    if question.answer_type in ("thing", "yesno"):
        return True
    claimed = _outside_question(spans(strip_citations(answer), question.answer_type), question_text)
    if not claimed:
        return True
    for index, sentence, pair in _units([Passage(p) for p in passages]):
        if not any(_span_in(span, sentence) for span in claimed):
            continue
        if pair and _both_halves_have(tuple(_spans_of(sentence, question.answer_type)), sentence):
            continue  # as in the reader: a pair only joins a value to a focus its own sentence lacks
        passage = passages[index]
        focus = focus_match(question, Text.of(sentence), Text.of(passage), Text.of(_headings(passage)),
                            typed=True)
        if embedder is not None and question.language == "en":
            vectors = embedder.embed([question.text, sentence])
            focus = _lifted(focus, float(np.asarray(vectors[1]) @ np.asarray(vectors[0])))
        if focus.support >= FOCUS_MIN and focus.absent <= ABSENT_MAX:
            return True
    return False
