"""Dates as entities, found by pattern in English and Chinese text: a year with what the text
gives of its month and day ("2008", "March 2021", "12 March 2021", "2021-03-12", "2023年5月",
"2023年5月12日"). A bare number is a year only where the text uses it as one ("in 2008",
"since 1931", "(2019)"), so counts such as "2000 people" stay numbers.
"""

from __future__ import annotations

import re

_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
          r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
_YEAR = r"(?:1[5-9]\d\d|20\d\d)"
_NO_DIGIT_BEFORE, _NO_DIGIT_AFTER = r"(?<![\d.,:/-])", r"(?![\d%]|[.,:/-]\d)"

_PATTERNS = (
    # 2023年5月12日, 2023年5月, 2023年 (Arabic digits, full-width ones are normalised first)
    re.compile(_NO_DIGIT_BEFORE + _YEAR + r"\s*年(?:\s*[01]?\d\s*月(?:\s*[0-3]?\d\s*[日号])?)?"),
    re.compile(_NO_DIGIT_BEFORE + _YEAR + r"-[01]\d-[0-3]\d" + _NO_DIGIT_AFTER),  # ISO
    # 12 March 2021, March 12, 2021, March 2021
    re.compile(r"\b(?:[0-3]?\d(?:st|nd|rd|th)?\s+(?:of\s+)?)?" + _MONTH
               + r",?\s+(?:[0-3]?\d(?:st|nd|rd|th)?,?\s+)?" + _YEAR + _NO_DIGIT_AFTER),
    # a bare year after a word that takes a time: in 2008, since 2019, founded 1931
    re.compile(r"(?:\b(?:[Ii]n|[Ss]ince|[Bb]y|[Ff]rom|[Uu]ntil|[Tt]ill|[Dd]uring|[Bb]efore|[Aa]fter|[Aa]round"
               r"|[Cc]irca|[Ee]arly|[Ll]ate|[Mm]id|[Yy]ear|[Ff]ounded|[Ee]stablished|[Bb]orn|[Dd]ied|[Oo]f)"
               r"[\s-]+|\()(?P<year>" + _YEAR + r")" + _NO_DIGIT_AFTER + r"(?!\s*(?:年|%|percent\b))"),
)
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def find_dates(text: str) -> list[tuple[str, int, int]]:
    """(name, start, end) of each date in ``text``, in order, none overlapping; the name is the
    text as written with its spaces tidied ("March  2021" -> "March 2021", "2023 年" -> "2023年")."""
    normal = text.translate(_FULL_WIDTH_DIGITS)  # same length, so offsets hold
    found: list[tuple[int, int]] = []
    for pattern in _PATTERNS:
        for match in pattern.finditer(normal):
            start, end = match.span("year") if "year" in pattern.groupindex else match.span()
            if not any(start < e and s < end for s, e in found):
                found.append((start, end))
    return [(_tidy(text[s:e]), s, e) for s, e in sorted(found)]


def _tidy(name: str) -> str:
    name = " ".join(name.split())
    return re.sub(r"\s*([年月日号])\s*", r"\1", name).strip()
