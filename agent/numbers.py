"""Numbers and dates in English and Chinese text, normalised so that they can be compared.

``"2,500万"`` and ``"25000000"`` are the same value; ``"二〇二二年一月三日"``,
``"2022年1月3日"`` and ``"January 3, 2022"`` give the same date parts. Years come out as
plain values (``2022``), month-day pairs as ``"m1d3"`` keys, so "1月3日" in an answer is
checked as a date, not as the loose numbers 1 and 3.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DIGITS = {"零": 0, "〇": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
           "六": 6, "七": 7, "八": 8, "九": 9}
_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
_BIG_UNITS = {"万": 10_000, "亿": 100_000_000}
_EN_UNITS = {"hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9,
             "trillion": 10**12}
_EN_WORDS = {w: i for i, w in enumerate(re.findall(
    r"\S+", "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"))}
_EN_WORDS.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
                  "eighty": 80, "ninety": 90, "dozen": 12})
_MONTHS = {m: i for i, m in enumerate(re.findall(
    r"\S+", "january february march april may june july august september october november december"),
    start=1)}
_MONTHS.update({m[:3]: i for m, i in list(_MONTHS.items())})
_MONTHS["sept"] = 9
_MONTHS.pop("may", None)  # "may" is mostly the verb; the full-name pattern below handles May

_ZH_NUMERAL = "零〇○一二两三四五六七八九十百千万亿"
_ARABIC = r"\d+(?:,\d{3})*(?:\.\d+)?"
_NUMBER = re.compile(
    rf"(?P<arabic>{_ARABIC})(?:\s*(?P<scale>万|亿|[Kk]\b|thousand\b|million\b|billion\b|trillion\b))?"
    rf"|(?P<zh>[{_ZH_NUMERAL}]+)"
    rf"|(?P<en>\b(?:{'|'.join(sorted(_EN_WORDS, key=len, reverse=True))})\b"
    rf"(?:[\s-]+(?:{'|'.join(_EN_WORDS)}|{'|'.join(_EN_UNITS)})\b)*)",
    re.IGNORECASE,
)
_ZH_DATE = re.compile(rf"(?:([\d{_ZH_NUMERAL}]{{2,4}})\s*年)?\s*([\d{_ZH_NUMERAL}]{{1,3}})\s*月"
                      rf"\s*(?:([\d{_ZH_NUMERAL}]{{1,3}})\s*[日号])?")
_EN_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|" \
            r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_EN_DATE = re.compile(rf"\b(?:(\d{{1,2}})(?:st|nd|rd|th)?\s+({_EN_MONTH})"
                      rf"|({_EN_MONTH})\s+(\d{{1,2}})(?:st|nd|rd|th)?\b)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Quantity:
    value: float
    text: str
    significant: int  # significant digits as written ("131万" has 3), for rounding matches
    start: int = 0


def zh_numeral(text: str) -> float | None:
    """Value of a Chinese numeral (``"一千二百三十"`` -> 1230, ``"二〇二二"`` -> 2022)."""
    if not text or any(ch not in _ZH_NUMERAL for ch in text):
        return None
    if all(ch in _DIGITS for ch in text):  # digit by digit, as years are written
        return float("".join(str(_DIGITS[ch]) for ch in text))
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        elif ch in _SMALL_UNITS:
            section += (1 if digit is None else digit) * _SMALL_UNITS[ch]
            digit = None
        else:
            section += digit or 0
            total = (total + section) * _BIG_UNITS[ch]
            section, digit = 0, None
    return float(total + section + (digit or 0))


def _english_value(words: str) -> float | None:
    total, current = 0, 0
    for word in re.split(r"[\s-]+", words.lower()):
        if word in _EN_WORDS:
            current += _EN_WORDS[word]
        elif word in _EN_UNITS:
            scale = _EN_UNITS[word]
            if scale >= 1000:
                total += max(current, 1) * scale
                current = 0
            else:
                current = max(current, 1) * scale
    return float(total + current)


def _significant(digits: str) -> int:
    digits = digits.replace(",", "").replace(".", "").lstrip("0")
    return max(len(digits.rstrip("0")), 1)


def quantities(text: str) -> list[Quantity]:
    """Every number in ``text`` with its value (scales such as 万, million applied)."""
    found = []
    for match in _NUMBER.finditer(text):
        if match.group("arabic"):
            raw = match.group("arabic")
            value = float(raw.replace(",", ""))
            scale = (match.group("scale") or "").lower()
            value *= _BIG_UNITS.get(scale, 0) or _EN_UNITS.get(scale, 0) or (1000 if scale == "k" else 1)
            found.append(Quantity(value, match.group(), _significant(raw), match.start()))
        elif match.group("zh"):
            value = zh_numeral(match.group("zh"))
            if value is not None and match.group("zh") not in ("一", "两", "万", "亿"):
                found.append(Quantity(value, match.group(), _significant(str(int(value))),
                                      match.start()))
        else:
            value = _english_value(match.group("en"))
            if value is not None and value > 1:  # "one of", "zero" are rarely claims
                found.append(Quantity(value, match.group(), _significant(str(int(value))),
                                      match.start()))
    return found


def _part(text: str | None) -> int | None:
    if not text:
        return None
    value = float(text) if text.isdigit() else zh_numeral(text)
    return int(value) if value is not None else None


def month_days(text: str) -> list[tuple[str, int, int]]:
    """Month-day keys (``"m1d3"``) of the dates in ``text``, Chinese or English, with the
    offsets of the month-day part."""
    keys = []
    for match in _ZH_DATE.finditer(text):
        month, day = _part(match.group(2)), _part(match.group(3))
        if month and day and 1 <= month <= 12 and 1 <= day <= 31:
            keys.append((f"m{month}d{day}", match.start(2), match.end()))
    for match in _EN_DATE.finditer(text):
        day = int(match.group(1) or match.group(4))
        month_name = (match.group(2) or match.group(3)).lower().rstrip(".")
        month = _MONTHS.get(month_name[:3]) or (5 if month_name == "may" else None)
        if month and 1 <= day <= 31:
            keys.append((f"m{month}d{day}", match.start(), match.end()))
    return keys


def same_quantity(claimed: Quantity, known: Quantity) -> bool:
    """Equal, or ``known`` rounded to the significant digits ``claimed`` was written with
    (for numbers of at least 1,000 written with two or more significant digits)."""
    if abs(claimed.value - known.value) <= 1e-9 * max(abs(known.value), 1):
        return True
    if claimed.value < 1000 or claimed.significant < 2 or known.value <= 0:
        return False
    magnitude = 10 ** (len(str(int(known.value))) - claimed.significant)
    return round(known.value / magnitude) * magnitude == claimed.value
