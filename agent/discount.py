"""Prices the evidence gives as a share of another: "登楼门票20元，学生半价" -> students pay 10元,
"Tickets £12, children half price" -> £6.

The asked group (学生, children) must be in a clause that says the share and gives no price of its
own, and the sentence must give exactly one other price. The amount is computed in code and
shown with its working; the quoted sentence is what the answer check verifies.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agent.evidence_text import sentence_units
from agent.focus import Text, names_support, term_credit
from agent.numbers import zh_numeral
from agent.question import analyse
from agent.reader import Reading, quote
from agent.span_choice import CLAUSE
from agent.spans import spans
from graph.cjk import has_cjk
from memory.parts import Passage

_HALF = re.compile(r"半价|减半|\bhalf[- ]price\b|\bhalf (?:the )?(?:price|fare)\b", re.IGNORECASE)
_FREE = re.compile(r"免费|\bfree\b", re.IGNORECASE)
_TENTHS = re.compile(r"([一二三四五六七八九\d])折")


def read_share(question_text: str, evidence: Sequence[Passage]) -> Reading | None:
    question = analyse(question_text)
    if question.answer_type != "money" or not question.focus:
        return None
    found = []
    for index, sentence, pair in sentence_units(evidence):
        passage = evidence[index]
        if pair or names_support(question, f"{passage.source}\n{passage.text}") < 0.5:
            continue
        computed = _computed(question.focus, sentence)
        if computed is not None:
            found.append((index, sentence, *computed))
    if len({value for _, _, value, _ in found}) != 1:
        return None  # nothing to compute, or sentences that disagree
    index, sentence, value, working = found[0]
    number = index + 1
    zh = question.language == "zh"
    lead = f"{value}（{working}）[{number}]。" if zh else f"{value} ({working}) [{number}]"
    line = quote(question.language, evidence[index], sentence, number)
    trace = f"question type: money; the price is a share of another: {working}"
    return Reading(f"{lead}\n{line}", "", sentence, number, 1.0, trace, tuple(evidence))


def _computed(focus: Sequence[str], sentence: str) -> tuple[str, str] | None:
    """(the amount, its working) when one clause gives the asked group's share of the one price
    the rest of the sentence gives."""
    prices = spans(sentence, "money")
    for clause in CLAUSE.finditer(sentence):
        text = clause.group()
        share = _share(text)
        if share is None or not any(term_credit(t, Text.of(text)) >= 0.85 for t in focus):
            continue
        if any(clause.start() <= p.start < clause.end() for p in prices):
            return None  # the clause gives its own price
        others = {p.text for p in prices}
        if len(others) != 1:
            return None
        base = others.pop()
        return _scaled(base, share[0]), f"{base}{share[1]}" if has_cjk(text) else f"{share[1]} {base}"
    return None


def _share(clause: str) -> tuple[float, str] | None:
    """The share a clause states and how to say it, or None."""
    cjk = has_cjk(clause)
    if _HALF.search(clause):
        return 0.5, "的半价" if cjk else "half of"
    if _FREE.search(clause):
        return 0.0, "，免费" if cjk else "free instead of"
    tenths = _TENTHS.search(clause)
    if tenths:
        digit = tenths.group(1)
        n = int(digit) if digit.isdigit() else zh_numeral(digit)
        return n / 10, f"打{digit}折"
    return None


def _scaled(price: str, share: float) -> str:
    amount = re.search(r"\d+(?:[.,]\d+)?", price)
    if amount is None:
        return price
    value = float(amount.group().replace(",", "")) * share
    written = f"{value:.0f}" if value == int(value) else f"{value:.2f}"
    return price[:amount.start()] + written + price[amount.end():]

