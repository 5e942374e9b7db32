"""The "nothing relevant, say so" gate: which passages plausibly hold the answer to a question?

A passage counts when one of its sentences (or a pair of neighbouring sentences) covers
most of the question's key words, every number in the question (a year, an edition)
occurs in the passage, and, for questions that ask for a number or a date, that window
also holds a number or a date that the question does not already contain. The embedding
similarity between question and window, when an embedder is given, can lift a window
that paraphrases an English question.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from agent.claim_terms import EN_STOPWORDS, en_content_stems
from agent.numbers import month_days, quantities
from agent.support import Lexicon, evidence_units, sentence_terms
from graph.cjk import has_cjk
from graph.embedding import Embedder

# Words that say what is asked rather than what it is about.
_ASKING = frozenset(re.findall(r"\S+", """
时间 日期 哪天 哪年 哪一年 何时 几时 几月 什么时候 多少 几 数量 人数 地点 哪里 在哪 在哪里 何地 哪儿 谁 是谁
哪位 哪些 什么 哪个 哪家 名字 名称 叫 具体 包括 举办 举行 开始 结束 起点 终点 首 第一 冠军 得主 获得者
who whom what when where which why how many much name year date time
"""))
_NUMBER_QUESTION = re.compile(
    r"多少|几[个位名人次年天岁家]|数量|人数|总数|数目|金额|票房(?!冠军)|吞吐量|交付量|销量|产量|增长|增速|比例|"
    r"百分之|率|价格|价|how many|how much|what percentage|what (?:is|was) the number of", re.IGNORECASE)
_DATE_QUESTION = re.compile(
    r"时间|日期|哪天|哪一天|哪年|哪一年|何时|什么时候|几月|几号|when|what year|what date", re.IGNORECASE)

MIN_COVERAGE = 0.8  # share of the question's key words (by length) one window must hold
SIMILARITY_LIFT = 0.75  # an English window this close to the question (cosine) counts as covering it


@dataclass(frozen=True, slots=True)
class QuestionShape:
    key_terms: tuple[str, ...]
    numbers: tuple[float, ...]  # numbers written in the question (years, editions)
    wants_number: bool
    wants_date: bool


def question_shape(question: str) -> QuestionShape:
    terms = [t for t in dict.fromkeys(sentence_terms(question)) if t not in _ASKING]
    if not has_cjk(question):
        terms = [t for t in dict.fromkeys(en_content_stems(question))
                 if t not in _ASKING and t not in EN_STOPWORDS]
    numbers = tuple(q.value for q in quantities(question) if q.value >= 10)
    wants_date = bool(_DATE_QUESTION.search(question))
    return QuestionShape(tuple(terms), numbers, bool(_NUMBER_QUESTION.search(question)) and not wants_date,
                         wants_date)


def _weight(term: str) -> float:
    return float(len(term)) if has_cjk(term) else 1.0 + min(len(term), 8) / 8


def _coverage(terms: Sequence[str], lexicon: Lexicon) -> float:
    total = sum(_weight(t) for t in terms)
    return sum(_weight(t) * lexicon.term_support(t) for t in terms) / total if total else 1.0


def _has_answer_kind(window: str, shape: QuestionShape) -> bool:
    if shape.wants_date:
        return bool(month_days(window)) or bool(re.search(r"\d{4}\s*年|\d+\s*[月日号]|\b\d{4}\b", window))
    if shape.wants_number:
        return any(q.value not in shape.numbers for q in quantities(window))
    return True


_EXPLICIT_DATE = re.compile(r"时间|日期|哪天|哪一天|哪年|哪一年|何时|什么时候|几月|几号|what year|what date",
                            re.IGNORECASE)


def answers_question(answer: str, question: str) -> bool:
    """False when the question asks for a number (or, explicitly, a date) and the answer gives
    none besides those already in the question; True otherwise."""
    shape = question_shape(question)
    if shape.wants_number:
        asked = {q.value for q in quantities(question)}
        return any(q.value not in asked for q in quantities(answer))
    if shape.wants_date and not _EXPLICIT_DATE.search(question):
        return True  # "when" is often answered in words ("after the war")
    return _has_answer_kind(answer, shape)


def relevant_passages(question: str, passages: Sequence[str],
                      embedder: Embedder | None = None) -> tuple[int, ...]:
    """0-based indices of the passages that plausibly answer ``question``, in input order."""
    if not question.strip() or not passages:
        return ()
    shape = question_shape(question)
    if not shape.key_terms and not shape.numbers:
        return ()  # "hello", "what is it?": nothing to look for
    units = evidence_units(passages)
    # The packaged MiniLM is English-only: for Chinese questions the words decide alone.
    similarities = _similarities(question, [u.text for u in units], None if has_cjk(question) else embedder)
    keep = set()
    for index, passage in enumerate(passages):
        whole = Lexicon.of(passage)
        if not all(any(abs(q.value - n) < 1e-9 for q in whole.quantities) for n in shape.numbers):
            continue
        for unit, similarity in zip(units, similarities, strict=True):
            if unit.passage != index or not _has_answer_kind(unit.text, shape):
                continue
            if _coverage(shape.key_terms, Lexicon.of(unit.text)) >= MIN_COVERAGE \
                    or similarity >= SIMILARITY_LIFT:
                keep.add(index)
                break
    return tuple(sorted(keep))


def _similarities(question: str, texts: list[str], embedder: Embedder | None) -> list[float]:
    if embedder is None or not texts:
        return [0.0] * len(texts)
    vectors = embedder.embed([question, *texts])
    return [float(v) for v in vectors[1:] @ vectors[0]]
