"""The question-aware check: an answer's value must stand next to the question's focus in one
evidence sentence (or a pair of neighbouring ones)."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from agent.claims import strip_citations
from agent.evidence_text import headings_of, sentence_units
from agent.focus import ABSENT_MAX, FOCUS_MIN, Text, focus_match, lifted
from agent.question import analyse
from agent.question_fit import fit_to
from agent.span_choice import both_halves_have, outside_question, spans_by_sentence
from agent.spans import AnswerSpan, spans
from agent.word_meaning import WordMeaning
from graph.embedding import Embedder
from memory.parts import Passage


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
                   embedder: Embedder | None = None, meaning: WordMeaning | None = None) -> bool:
    """The question-aware check: an answer that gives a value of the asked kind (a date for
    "when", a person for "who") passes only if one evidence sentence holds that value together
    with the question's focus. "2023" for "When was it founded?" fails when 2023 occurs only in
    "In 2023 it employed 340 people". Answers that give no such value pass (other checks decide)."""
    question = fit_to(analyse(question_text), "\n".join(passages))
    if question.answer_type in ("thing", "yesno"):
        return True
    claimed = outside_question(spans(strip_citations(answer), question.answer_type), question_text)
    if not claimed:
        return True
    for index, sentence, pair in sentence_units([Passage(p) for p in passages]):
        if not any(_span_in(span, sentence) for span in claimed):
            continue
        if pair and both_halves_have(tuple(spans_by_sentence(sentence, question.answer_type)), sentence):
            continue  # as in the reader: a pair only joins a value to a focus its own sentence lacks
        passage = passages[index]
        said, context, headings = Text.of(sentence), Text.of(passage), Text.of(headings_of(passage))
        focus = focus_match(question, said, context, headings, typed=True)
        if focus.absent > ABSENT_MAX and meaning is not None:  # as the reader: a word said otherwise
            focus = focus_match(question, said, context, headings, typed=True,
                                near=meaning.covered(question, passage))
        if embedder is not None and question.language == "en":
            vectors = embedder.embed([question.text, sentence])
            focus = lifted(focus, float(np.asarray(vectors[1]) @ np.asarray(vectors[0])))
        if focus.support >= FOCUS_MIN and focus.absent <= ABSENT_MAX:
            return True
    return False
