"""Time anchoring of remembered turns: the date a turn was said, and the dates its relative
expressions mean, in words a question uses ("on 7 May 2023", "in May 2023", "2023年5月7日").

A turn said at 1:56 pm on 8 May 2023 that says "I went to a support group yesterday" is about
7 May 2023; "last month" is April 2023, "two weeks ago" the week of 24 April 2023, "下个月"
June 2023. ``anchor_text`` writes that down so the keyword index can match "What did Caroline
do in May 2023?" or "When ... 7 May" against the turn; what is shown of the turn stays what
was said. Pure functions, no I/O; English and Chinese.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_ZH_WEEKDAYS = "一二三四五六日"

_EN_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
               "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
               "a couple of": 2, "a couple": 2, "couple of": 2, "a few": 3, "few": 3, "several": 3}
_ZH_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "俩": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
_UNITS_EN = {"day": "day", "days": "day", "week": "week", "weeks": "week", "month": "month",
             "months": "month", "year": "year", "years": "year"}
_UNITS_ZH = {"天": "day", "日": "day", "周": "week", "星期": "week", "礼拜": "week", "月": "month",
             "年": "year"}

_EN_COUNT = r"(?P<n>\d{1,3}|a couple of|a couple|couple of|a few|few|several|an?|one|two|three|four|five|" \
            r"six|seven|eight|nine|ten|eleven|twelve)"
_EN = re.compile(
    r"\b(?:(?P<dby>the day before yesterday)|(?P<dat>the day after tomorrow)"
    r"|(?P<yesterday>yesterday|last night)|(?P<tomorrow>tomorrow)"
    r"|(?P<today>today|tonight|this (?:morning|afternoon|evening))"
    r"|(?P<rel>last|this|next|past|coming) (?P<span>week(?:end)?|month|year|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
    rf"|{_EN_COUNT} (?P<unit>days?|weeks?|months?|years?) (?P<dir>ago|from now)"
    r"|in (?P<in_n>\d{1,3}|a couple of|a few|an?|one|two|three|four|five|six|seven|eight|nine|ten)"
    r" (?P<in_unit>days?|weeks?|months?|years?)\b(?! ago))\b",
    re.IGNORECASE)

_ZH_COUNT = r"(?P<n>\d{1,3}|[一二两俩三四五六七八九十]{1,3}|半|几)"
_ZH = re.compile(
    r"(?P<d3>大前天)|(?P<d2>前天)|(?P<d1>昨天|昨晚|昨日|昨儿)|(?P<d0>今天|今晚|今早|今日|今儿)"
    r"|(?P<p1>明天|明晚|明日|明儿)|(?P<p2>后天)"
    r"|(?P<wrel>上|这|本|下)(?:个)?(?:周|星期|礼拜)(?P<wday>[一二三四五六日天])?"
    r"|(?P<mrel>上|这|本|下)个?月"
    r"|(?P<yrel>去|今|明|前|后)年"
    rf"|{_ZH_COUNT}(?:个)?(?P<unit>天|日|周|星期|礼拜|月|年)(?:半)?(?:以|之)?(?P<dir>前|后|以后|之后)")


@dataclass(frozen=True, slots=True)
class Resolved:
    """A relative expression and the day, week (its Monday), month or year it means."""

    expression: str
    start: date
    grain: str  # day | week | month | year

    def words(self, chinese: bool = False) -> str:
        if chinese:
            return zh_words(self.start, self.grain)
        if self.grain == "day":
            return day_words(self.start)
        if self.grain == "week":
            return f"week of {day_words(self.start)}"
        if self.grain == "month":
            return f"{MONTHS[self.start.month - 1]} {self.start.year}"
        return str(self.start.year)


def day_words(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def zh_words(day: date, grain: str = "day") -> str:
    if grain == "year":
        return f"{day.year}年"
    if grain == "month":
        return f"{day.year}年{day.month}月"
    if grain == "week":
        return f"{day.year}年{day.month}月{day.day}日那周"
    return f"{day.year}年{day.month}月{day.day}日"


def add_months(day: date, months: int) -> date:
    """The first of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _shift(today: date, amount: int, unit: str) -> Resolved | None:
    """``amount`` units after ``today`` (negative: before), at the grain of the unit."""
    if unit == "day":
        return Resolved("", today + timedelta(days=amount), "day")
    if unit == "week":
        return Resolved("", _monday(today + timedelta(weeks=amount)), "week")
    if unit == "month":
        return Resolved("", add_months(today, amount), "month")
    if unit == "year":
        return Resolved("", date(today.year + amount, 1, 1), "year")
    return None


def _zh_number(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    if text == "几":
        return 3
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_ZH_DIGITS.get(tens, 0) if tens else 1) * 10 + (_ZH_DIGITS.get(ones, 0) if ones else 0)
    return _ZH_DIGITS.get(text)


def _weekday_near(today: date, weekday: int, direction: str) -> date:
    """The ``weekday`` (0 Monday) strictly before (last) or after (next) ``today``, or in its week."""
    if direction in ("last", "past"):
        return today - timedelta(days=(today.weekday() - weekday - 1) % 7 + 1)
    if direction in ("next", "coming"):
        return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)
    return _monday(today) + timedelta(days=weekday)


def _english(match: re.Match, today: date) -> Resolved | None:
    g = match.groupdict()
    if g["dby"]:
        return Resolved("", today - timedelta(days=2), "day")
    if g["dat"]:
        return Resolved("", today + timedelta(days=2), "day")
    if g["yesterday"]:
        return Resolved("", today - timedelta(days=1), "day")
    if g["tomorrow"]:
        return Resolved("", today + timedelta(days=1), "day")
    if g["today"]:
        return Resolved("", today, "day")
    if g["rel"]:
        rel, span = g["rel"].lower(), g["span"].lower()
        step = {"last": -1, "past": -1, "this": 0, "next": 1, "coming": 1}[rel]
        if span in ("week", "month", "year"):
            return _shift(today, step, span)
        if span == "weekend":
            saturday = _weekday_near(today, 5, rel) if step else _monday(today) + timedelta(days=5)
            return Resolved("", saturday, "day")
        return Resolved("", _weekday_near(today, WEEKDAYS.index(span.capitalize()), rel), "day")
    if g["unit"]:
        amount = int(g["n"]) if g["n"].isdigit() else _EN_NUMBERS[g["n"].lower()]
        sign = -1 if g["dir"].lower() == "ago" else 1
        return _shift(today, sign * amount, _UNITS_EN[g["unit"].lower()])
    if g["in_unit"]:
        amount = int(g["in_n"]) if g["in_n"].isdigit() else _EN_NUMBERS[g["in_n"].lower()]
        return _shift(today, amount, _UNITS_EN[g["in_unit"].lower()])
    return None


def _chinese(match: re.Match, today: date) -> Resolved | None:
    g = match.groupdict()
    for name, days in (("d3", -3), ("d2", -2), ("d1", -1), ("d0", 0), ("p1", 1), ("p2", 2)):
        if g[name]:
            return Resolved("", today + timedelta(days=days), "day")
    if g["wrel"]:
        step = {"上": -1, "这": 0, "本": 0, "下": 1}[g["wrel"]]
        if g["wday"]:
            weekday = 6 if g["wday"] in "日天" else _ZH_WEEKDAYS.index(g["wday"])
            return Resolved("", _monday(today) + timedelta(weeks=step, days=weekday), "day")
        return _shift(today, step, "week")
    if g["mrel"]:
        return _shift(today, {"上": -1, "这": 0, "本": 0, "下": 1}[g["mrel"]], "month")
    if g["yrel"]:
        return _shift(today, {"前": -2, "去": -1, "今": 0, "明": 1, "后": 2}[g["yrel"]], "year")
    if g["unit"]:
        unit = _UNITS_ZH[g["unit"]]
        sign = -1 if g["dir"] == "前" or g["dir"].endswith("前") else 1
        if g["n"] == "半":  # 半年前: six months; 半个月前: two weeks
            return _shift(today, sign * (6 if unit == "year" else 2), "month" if unit == "year" else "week")
        amount = _zh_number(g["n"])
        return None if amount is None else _shift(today, sign * amount, unit)
    return None


def resolve(text: str, at: datetime | date) -> list[Resolved]:
    """The relative time expressions of ``text`` (English and Chinese) with what they mean when
    said on ``at``, in order, each once."""
    today = at.date() if isinstance(at, datetime) else at
    found: dict[tuple[date, str], Resolved] = {}
    for pattern, read in ((_EN, _english), (_ZH, _chinese)):
        for match in pattern.finditer(text):
            try:
                resolved = read(match, today)
            except (ValueError, OverflowError):  # out of the calendar's range
                continue
            if resolved is not None:
                key = (resolved.start, resolved.grain)
                found.setdefault(key, Resolved(match.group(0), resolved.start, resolved.grain))
    return list(found.values())


def has_chinese(text: str) -> bool:
    return re.search(r"[\u3400-\u9fff]", text) is not None


def anchor_text(text: str, at: datetime | date) -> str:
    """What to index with a turn said at ``at``: its date in words, then each relative
    expression with the date it means. In the turn's language (Chinese text: Chinese dates)."""
    today = at.date() if isinstance(at, datetime) else at
    chinese = has_chinese(text)
    if chinese:
        said = f"{zh_words(today)} 星期{_ZH_WEEKDAYS[today.weekday()]}"
    else:
        said = f"on {WEEKDAYS[today.weekday()]} {day_words(today)}"
    meant = [f"{r.expression}: {r.words(chinese)}" for r in resolve(text, today)]
    return "; ".join([said, *meant])


_ASKS_WHEN = re.compile(
    r"^\W*(?:when\b|since when\b|what (?:time|date|day|month|year|week)\b|which (?:day|month|year|week)\b"
    r"|how long ago\b)|\b(?:when|what date|what year|what month|how long ago)\b[^.?!]*\?\W*$"
    r"|什么时候|何时|哪天|哪一天|哪年|哪一年|几月|几号|多久以前|多久之前|多长时间以前", re.IGNORECASE)
_ABSOLUTE = re.compile(
    r"\b(?:january|february|march|april|may|june|july|august|september|october|november|december"
    r"|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\.? \d{1,2}\b"
    r"|\b\d{1,2}(?:st|nd|rd|th)? (?:of )?(?:january|february|march|april|may|june|july|august|september"
    r"|october|november|december)\b|\b(?:in|since|until|by) (?:19|20)\d\d\b|\b(?:19|20)\d\d\b(?=[ ,.]|$)"
    r"|\b(?:on|last|next|this) (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekend)\b"
    r"|\d{1,4}年|\d{1,2}月\d{1,2}[日号]|[一二三四五六七八九十]+月|星期[一二三四五六日天]|周[一二三四五六日]",
    re.IGNORECASE)


def asks_when(question: str) -> bool:
    """Whether a question asks for a time ("When did ...?", "How long ago ...", "什么时候 ...")."""
    return _ASKS_WHEN.search(question) is not None


def mentions_time(text: str) -> bool:
    """Whether ``text`` places something in time: a relative expression ("yesterday", "上周")
    or a date ("May 3", "in 2022", "5月3日")."""
    return _ABSOLUTE.search(text) is not None or bool(resolve(text, date(2000, 1, 1)))
