"""Questions whose answer can be known exactly, computed by code and answered with the working
shown, in English or Chinese: arithmetic ("what is 12 * (3 + 4)?" -> "12 × (3 + 4) = 84"), unit
conversions ("5斤等于多少公斤" -> "5 斤 = 2.5 公斤（1 斤 = 0.5 公斤）。") and dates ("how many days
between 2025-01-28 and 2025-05-02" -> "From 2025-01-28 to 2025-05-02 is 94 days.").

Anything else gives None, in particular questions about documents or facts that merely contain
numbers ("How much water does the Aerolux H3 tank hold?"). Long messages are not looked at.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from agent.compute_arithmetic import answer_arithmetic
from agent.compute_dates import answer_date
from agent.compute_units import answer_conversion

MAX_CHARS = 500  # longer messages are not quick questions; this also bounds the work

# full-width forms (１２＋３？) to ASCII; the usual maths signs and quotes to the ASCII ones
_NORMAL_FORMS: dict[int, int | str] = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_NORMAL_FORMS.update({ord("×"): "*", ord("÷"): "/", ord("−"): "-", ord("‘"): "'", ord("’"): "'",
                      0x3000: " ", 0xA0: " "})
_SURROGATES = re.compile("[\ud800-\udfff]")  # halves of broken characters
_SPACES = re.compile(r"\s+")  # one space for any run: no pattern backtracks over long runs


@dataclass(frozen=True, slots=True)
class Computed:
    answer: str  # the reply text: "1 + 1 = 2", "3 公里 = 3000 米（1 公里 = 1000 米）。"
    kind: str  # "arithmetic" | "unit" | "date"


def normalize(text: str) -> str:
    """``text`` lowercased, with full-width characters made ASCII, broken characters dropped and
    each run of spaces made one space."""
    return _SPACES.sub(" ", _SURROGATES.sub(" ", text.translate(_NORMAL_FORMS))).lower()


def compute_answer(text: str, *, today: datetime.date, language: str) -> Computed | None:
    """The exact answer to a question that code can compute, or None (not such a question).

    ``today`` is the date that date questions count from; ``language`` ("en" or "zh") is the
    language of the reply."""
    if not text or len(text) > MAX_CHARS:
        return None
    language = "zh" if language == "zh" else "en"
    question = normalize(text)
    answer = answer_date(question, today, language)
    if answer:
        return Computed(answer, "date")
    answer = answer_conversion(question, language)
    if answer:
        return Computed(answer, "unit")
    answer = answer_arithmetic(question, language)
    return Computed(answer, "arithmetic") if answer else None
