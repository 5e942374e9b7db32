"""The evidence-first reader: answers a question from the evidence itself, without an LLM.

From the question it takes the expected answer type, the focus words and the names it is
about (agent/question.py). Every evidence sentence is scored on how much of the focus it
carries (the word itself, a paraphrase, or for English its embedding similarity to the
question), whether the question's names occur in it or in its passage, and whether it
holds an answer span of the expected type (agent/spans.py) that the question does not
already contain; the question's key word must be in the sentence itself. The best such
sentence gives the answer: the span, then the sentence quoted with its citation. It declines
(returns None) when no sentence carries both the focus and a span of the right type, and when
two sentences are as good but give different answers: a wrong answer with a citation is worse
than none. A question about something a first passage names and a second one describes is
read in two hops (``_read_across``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from agent.evidence_text import headings_of, is_heading, sentence_units
from agent.focus import (
    ABSENT_MAX,
    FOCUS_MIN,
    PARAPHRASE_CREDIT,
    FocusMatch,
    Text,
    focus_match,
    lifted,
    names_support,
    numbers_present,
    term_credit,
)
from agent.question import Question, analyse
from agent.question_fit import fit_to
from agent.span_choice import (
    address_heads,
    best_span,
    both_halves_have,
    fits_the_question,
    half_has_numbers,
    in_focus_clauses,
    next_to_key,
    not_the_kind_asked,
    outside_question,
    precision,
    same_unit,
    same_value,
    spans_by_sentence,
)
from agent.spans import AnswerSpan, labelled, quoted_after
from agent.word_meaning import WordMeaning
from graph.embedding import Embedder
from memory.parts import Passage

_NAMED = ("person", "name", "place", "thing")  # answers a first sentence's name may be (or lead to)
NAMES_MIN = 0.5  # share of the question's names its passage must mention
TIE = 0.02  # sentences this close in score that give different answers: neither is trusted
_NEGATION = re.compile(r"\b(?:not|never|no|none|cannot|can't|doesn't|don't|isn't|wasn't)\b|[不没未无非]")
_FORMER = re.compile(r"\b(?:until|former|formerly|previously|used to|originally|was|were|had been)\b|"
                     r"原来|原定|以前|曾经|之前|过去", re.IGNORECASE)
# A sentence that asks ("很多用户想知道用了什么处理器", "Where was it founded?") answers nothing.
_ASKS = re.compile(r"[?？]|什么|哪(?:个|些|里|儿|一|家|位|种)|为何|为什么|怎么|是否")
# a sentence that stops where the value would begin ("世界环境日的主题为"): it says nothing yet
_CUT_OFF = re.compile(r"(?:为|是|：|:|\bis|\bare|\bwas|\bwere)\W*$")
_CURRENT = re.compile(r"\b(?:current|currently|now|today|present|new|latest|moved to)\b|"
                      r"现在|目前|如今|现任|改为|推迟到|改到|最新|搬到", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Reading:
    answer: str  # the reply: the short answer, then the quoted sentences with their citations
    short: str  # the short answer (the span, "Yes"/"No"), or "" when the sentence is the answer
    sentence: str  # the supporting evidence (one sentence, or two neighbouring ones), verbatim
    passage: int  # 1-based number of its passage in ``evidence``
    score: float
    trace: str  # how the reader got there, for the Reasoning step
    evidence: tuple[Passage, ...] = ()  # the numbered evidence (more than given after a second hop)
    link: str = ""  # the sentence that led to the answer's passage (a second hop), verbatim
    link_passage: int = 0  # its 1-based number
    more: tuple[int, ...] = ()  # further passages the answer quotes (several values told)

    @property
    def cited(self) -> tuple[int, ...]:
        return tuple(dict.fromkeys(n for n in (self.link_passage, self.passage, *self.more) if n))


@dataclass(frozen=True, slots=True)
class _Candidate:
    passage: int  # 0-based
    sentence: str
    focus: FocusMatch  # with the lift of an English paraphrase
    lexical: float  # focus support from the words alone
    names: float
    in_sentence_names: float  # share of the names in the sentence itself
    similarity: float
    found: tuple[AnswerSpan, ...]
    pair: bool = False
    heading: bool = False  # a title or heading line: it names a topic, it answers nothing by itself
    tense: float = 0.0  # + for a current value when the question asks for one, - for a former one

    @property
    def score(self) -> float:
        return (0.6 * self.focus.support + 0.25 * self.names + 0.15 * self.similarity + self.tense
                - (0.05 if self.pair else 0.0))


class Reader:
    """Answers from evidence passages. Give it the agent's embedder (English paraphrases)."""

    def __init__(self, embedder: Embedder | None = None, meaning: WordMeaning | None = None) -> None:
        self.embedder = embedder
        self.meaning = meaning or WordMeaning(embedder)
        self._vectors: dict[str, np.ndarray] = {}

    def read(self, question_text: str, evidence: Sequence[Passage],
             retrieve: Callable[[str], Sequence[Passage]] | None = None) -> Reading | None:
        """The answer to ``question_text`` from ``evidence``, or None. ``retrieve`` (a search of
        the user's knowledge) lets a second hop find the passage a linking sentence points to."""
        evidence = tuple(evidence)
        question = fit_to(analyse(question_text), "\n".join(f"{p.source}\n{p.text}" for p in evidence))
        if not (question.terms or question.label) or not evidence:
            return None  # "hello", "what is it?": nothing to look for
        best = self._best(question, evidence)
        if best is not None:
            return self._reading(question, best, evidence)
        return self._read_across(question, evidence, retrieve)

    @staticmethod
    def from_told(question_text: str, told: Sequence[Passage], values: Sequence[str]) -> Reading:
        """The answer to a question about something the user told: ``values`` from the facts
        ``told`` (each passage: the fact, then the user's own words), quoted as told; with no
        values (a later turn may have changed it) the passages are quoted and nothing chosen."""
        language = analyse(question_text).language
        short = ("、" if language == "zh" else ", ").join(dict.fromkeys(values))
        quoted = [p.text.split("\n")[-1] for p in told]
        numbered = enumerate(zip(told, quoted, strict=True), start=1)
        lines = [quote(language, p, said, n) for n, (p, said) in numbered]
        lead = [(f"{short}[1]。" if language == "zh" else f"{short} [1]")] if short else []
        trace = f"answered from what you told me: {'; '.join(p.text.split(chr(10))[0] for p in told)}"
        return Reading("\n".join([*lead, *lines]), short, quoted[0], 1, 1.0, trace, tuple(told),
                       more=tuple(range(2, len(told) + 1)))

    def _best(self, question: Question, evidence: Sequence[Passage], *,
              skip: str = "") -> _Candidate | None:
        """The best answering sentence; None also when another, as good, gives another answer (which
        of "1号点 … 8.1" and "3号点 … 3.9" is downstream, the sentences do not say)."""
        answering = [c for c in self._candidates(question, evidence) if self._answers(question, c)
                     and not (skip and skip in c.sentence) and not self._undecided(question, c)]
        if not answering:
            return None
        best = max(answering, key=lambda c: (c.score, -c.passage))
        close = [(c, self._short_answer(question, c)) for c in answering if c.score >= best.score - TIE]
        answer = next(short for c, short in close if c is best)
        rivals = [(c, short) for c, short in close if c.sentence not in best.sentence
                  and best.sentence not in c.sentence and not same_value(short, answer)]
        if rivals and not _outvoted(answer, close, rivals):
            # "吉祥物“跑跑”" names what is asked; "主席林晓…为吉祥物揭幕" only mentions it
            named = [(c, short) for c, short in close if short and next_to_key(question, c.sentence, c.found)]
            if not named or any(not same_value(short, named[0][1]) for _, short in named):
                return None
            answer = named[0][1]
        agreeing = [(c, short) for c, short in close if same_value(short, answer)]
        return max(agreeing, key=lambda pair: (precision(pair[1]), pair[0].score, -pair[0].passage))[0]

    def _read_across(self, question: Question, evidence: tuple[Passage, ...],
                     retrieve: Callable[[str], Sequence[Passage]] | None) -> Reading | None:
        """Two hops: "the town of the head office of the company where Tobias interned" - a sentence
        naming Tobias and his internship gives the company, whose passage gives the town."""
        link = self._link(question, evidence)
        if link is None:
            return None
        name, bridge = link
        said = Text.of(bridge.sentence)
        rest = tuple(t for t in question.focus if term_credit(t, said) < PARAPHRASE_CREDIT)
        if not rest or (question.key and question.key not in rest and question.answer_type not in _NAMED):
            return None  # the amount or date asked is in the first sentence's words, not a second passage's
        hop = replace(question, names=(name,), focus=rest, numbers=())
        if retrieve is not None:
            known = {p.text for p in evidence}
            evidence += tuple(p for p in retrieve(f"{name} {question.text}") if p.text not in known)
        best = self._best(hop, evidence, skip=bridge.sentence)
        if best is None:
            return None
        return self._reading(question, best, evidence, bridge=bridge, hop=hop)

    def _link(self, question: Question, evidence: Sequence[Passage]) -> tuple[str, _Candidate] | None:
        """A sentence with the question's names and part of its focus that names something the
        question does not (the bridge to a second passage), and that name."""
        if not question.names:
            return None
        probe = replace(question, answer_type="name")
        asked = [n.lower() for n in question.names]
        links = []
        for candidate in self._candidates(probe, evidence):
            if candidate.pair or names_support(question, candidate.sentence) < 0.5 \
                    or candidate.names < 0.9 or candidate.focus.in_sentence < 1:
                continue
            new = tuple(s for s in candidate.found if re.search(r"[A-Za-z\u4e00-\u9fff]", s.text)
                        and not any(s.text.lower() in n or n in s.text.lower() for n in asked))
            if new:
                links.append(replace(candidate, found=new))
        if not links:
            return None
        bridge = max(links, key=lambda c: (c.focus.support, c.score))
        span = best_span(probe, bridge.sentence, bridge.found) or bridge.found[0]
        return span.text.strip(" ,.;:，。；："), bridge

    def _candidates(self, question: Question, evidence: Sequence[Passage]) -> list[_Candidate]:
        units = sentence_units(evidence)
        similarities = self._similarities(question, units)
        # per passage, once: its text, its title and headings (the scope of its sentences), and
        # how many of the question's names it mentions
        contexts = [Text.of(f"{p.source}\n{p.text}") for p in evidence]
        scopes = [f"{p.source}\n{headings_of(p.text)}" for p in evidence]
        headings = [Text.of(scope) for scope in scopes]
        mentioned = [names_support(question, f"{p.source}\n{p.text}") * 0.9 for p in evidence]
        numbered = [numbers_present(question, scope) for scope in scopes]
        near: dict[int, frozenset[str]] = {}
        out = []
        for (index, sentence, pair), similarity in zip(units, similarities, strict=True):
            scope = scopes[index]
            if not numbered[index] and not numbers_present(question, f"{sentence}\n{scope}"):
                continue
            typed = labelled(sentence, question.label) if question.label \
                else spans_by_sentence(sentence, question.answer_type)
            if question.answer_type in ("person", "name"):  # 吉祥物“跑跑”: the name it is given
                typed = quoted_after(sentence, question.key) or typed
            raw = not_the_kind_asked(question, same_unit(question, outside_question(typed, question.text)))
            if pair and both_halves_have(raw, sentence):
                continue  # each sentence answers for itself (or not); the pair adds nothing
            found = address_heads(question, sentence, fits_the_question(
                question, sentence, in_focus_clauses(question, sentence, raw)))
            if not numbered[index]:
                found = tuple(s for s in found if half_has_numbers(question, sentence, s))
            said = Text.of(sentence)
            lexical = focus_match(question, said, contexts[index], headings[index], typed=bool(found))
            if found and lexical.absent > ABSENT_MAX:  # a focus word the passage may say in other words
                if index not in near:
                    passage = evidence[index]
                    near[index] = self.meaning.covered(question, f"{passage.source}\n{passage.text}")
                lexical = focus_match(question, said, contexts[index], headings[index], typed=True,
                                      near=near[index])
            own = names_support(question, sentence)
            out.append(_Candidate(index, sentence, lifted(lexical, similarity), lexical.support,
                                  max(own, mentioned[index]), own, similarity, found, pair,
                                  is_heading(sentence, scope), _tense(question, sentence)))
        return out

    def _similarities(self, question: Question, units: list[tuple[int, str, bool]]) -> list[float]:
        """Cosine of each unit to the question (English only: the packaged embedder knows no
        Chinese); a pair counts as its closer half. Sentence vectors are cached: the same
        documents come back question after question."""
        if self.embedder is None or question.language != "en" or not units:
            return [0.0] * len(units)
        singles = [text for _, text, pair in units if not pair]
        missing = [t for t in dict.fromkeys([question.text, *singles]) if t not in self._vectors]
        if missing:
            if len(self._vectors) > 20_000:
                self._vectors.clear()
            self._vectors.update(zip(missing, np.asarray(self.embedder.embed(missing)), strict=True))
        asked = self._vectors[question.text]
        cosine = {t: float(self._vectors[t] @ asked) for t in singles}

        def of_pair(text: str) -> float:
            first = next((t for t in singles if text.startswith(t + " ") and text[len(t) + 1:] in cosine), "")
            return max(cosine.get(first, 0.0), cosine.get(text[len(first) + 1:], 0.0)) if first else 0.0

        return [of_pair(text) if pair else cosine[text] for _, text, pair in units]

    @staticmethod
    def _answers(question: Question, candidate: _Candidate) -> bool:
        focus = candidate.focus
        if focus.support < FOCUS_MIN or focus.absent > ABSENT_MAX or candidate.names < NAMES_MIN:
            return False
        if question.focus and (focus.in_sentence == 0 or not focus.key):
            return False  # the sentence itself must carry the focus, its key word first of all
        if question.periods and not all(term_credit(t, Text.of(candidate.sentence))
                                        for t in question.periods):
            return False  # the year's figure does not answer for its first quarter
        if question.answer_type in ("yesno", "thing"):
            # the sentence itself is the answer: every focus word and every name must be in it, word
            # for word (for "what …?" a sentence that only restates the question is no answer, but
            # one that holds all of it, names included, mostly holds the answer too)
            return (candidate.lexical >= 0.9 and candidate.in_sentence_names >= 1.0
                    and not candidate.pair and not candidate.heading and not _ASKS.search(candidate.sentence)
                    and not _CUT_OFF.search(candidate.sentence))
        return bool(candidate.found)

    def _reading(self, question: Question, best: _Candidate, evidence: tuple[Passage, ...], *,
                  bridge: _Candidate | None = None, hop: Question | None = None) -> Reading:
        short = self._short_answer(hop or question, best)
        number = best.passage + 1
        quotes = [(bridge.passage + 1, bridge.sentence)] if bridge is not None else []
        quotes.append((number, best.sentence))
        lines = [quote(question.language, evidence[n - 1], sentence, n) for n, sentence in quotes]
        if short:
            lead = f"{short}[{number}]。" if question.language == "zh" else f"{short} [{number}]"
            lines.insert(0, lead)
        trace = (f"question type: {question.answer_type}; focus: {', '.join(question.terms) or '-'}; "
                 f"names: {', '.join(question.names) or '-'}; ")
        if bridge is not None and hop is not None:
            trace += (f"first hop [{bridge.passage + 1}] names {hop.names[0]}; second hop asks for "
                      f"{', '.join(hop.focus)} of it; ")
        trace += (f"best sentence [{number}] (focus {best.focus.support:.2f}, names {best.names:.2f}, "
                  f"similarity {best.similarity:.2f}); answer: {short or 'the sentence itself'}")
        return Reading("\n".join(lines), short, best.sentence, number, best.score, trace, evidence,
                       bridge.sentence if bridge is not None else "", bridge.passage + 1 if bridge else 0)

    @staticmethod
    def _short_answer(question: Question, best: _Candidate) -> str:
        if question.answer_type == "yesno":
            negated = bool(_NEGATION.search(best.sentence)) != bool(_NEGATION.search(question.text))
            if question.language == "zh":
                return "不是" if negated else "是的"
            return "No" if negated else "Yes"
        span = best_span(question, best.sentence, best.found) if best.found else None
        return span.text.strip(" ,.;:，。；：") if span is not None else ""

    @staticmethod
    def _undecided(question: Question, best: _Candidate) -> bool:
        """Several people or names in the sentence and nothing to choose between them: quoting it
        would leave the user to guess (a number, a date or a place in the quote is still read)."""
        return (question.answer_type in ("person", "name") and len(best.found) > 1
                and best_span(question, best.sentence, best.found) is None)


def _outvoted(answer: str, close: list[tuple[_Candidate, str]], rivals: list[tuple[_Candidate, str]]) -> bool:
    """As good sentences disagree, but more passages give the best one's answer than give any other
    (three reports name the winner, one a runner-up): the answer stands. Each candidate comes with
    its short answer."""
    if not answer:
        return False
    agreeing = {c.passage for c, short in close if same_value(short, answer)}
    others: dict[str, set[int]] = {}
    for c, short in rivals:
        key = next((k for k in others if same_value(k, short)), short)
        others.setdefault(key, set()).add(c.passage)
    return len(agreeing) >= 2 and all(len(agreeing) > len(p) for p in others.values())


def quote(language: str, passage: Passage, sentence: str, number: int) -> str:
    """The supporting sentence, quoted with where it comes from; what the user said in chat is
    "what you told me on <date>"."""
    if len(sentence) > 280:
        sentence = sentence[:279] + "…"
    told = passage.kind in ("fact", "turn") and passage.at is not None
    if language == "zh":
        if told:
            return f"你在{passage.at:%Y-%m-%d}告诉我：“{sentence}”[{number}]"
        return f"出自{('《' + passage.source + '》') if passage.source else '资料'}：“{sentence}”[{number}]"
    if told:
        return f"What you told me on {passage.at:%Y-%m-%d}: “{sentence}” [{number}]"
    return f"From {passage.source or 'the evidence'}: “{sentence}” [{number}]"


def _tense(question: Question, sentence: str) -> float:
    """For a question about now: a bonus for a sentence giving the current value, a penalty for a
    former one ("served as CTO until 2021")."""
    if not question.now:
        return 0.0
    return 0.1 * bool(_CURRENT.search(sentence)) - 0.1 * bool(_FORMER.search(sentence))


