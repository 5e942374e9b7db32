"""Date questions in English or Chinese: today's date, the weekday of a date, the days between
two dates or until one, and the date some days after another. Everything is counted from the
``today`` the caller passes, never from the system clock.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

from agent.numbers import zh_numeral

_WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_WEEKDAYS_ZH = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
              "October", "November", "December")
_MONTH_NUMBERS = {name[:3].lower(): number for number, name in enumerate(_MONTHS_EN, start=1)}
# words that name a day by its distance from today, and how the working shows those days
_RELATIVE = {"today": 0, "now": 0, "tomorrow": 1, "yesterday": -1, "今天": 0, "现在": 0, "明天": 1,
             "后天": 2, "昨天": -1, "前天": -2}
_DAY_NAMES = {0: ("today", "今天"), 1: ("tomorrow", "明天"), -1: ("yesterday", "昨天"),
              2: ("the day after tomorrow", "后天"), -2: ("the day before yesterday", "前天")}

_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
          r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?(?![a-z])")
_ORDINAL = r"(?:st|nd|rd|th)?"
_ZH_DIGIT = r"[\d零〇○一二三四五六七八九十]"
_ISO = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_DAY_MONTH = re.compile(rf"(\d{{1,2}}){_ORDINAL}\s+(?:of\s+)?({_MONTH})(?:,?\s+(\d{{4}}))?")
_MONTH_DAY = re.compile(rf"({_MONTH})\s+(\d{{1,2}}){_ORDINAL}(?:,?\s+(\d{{4}}))?")
_ZH_DATE = re.compile(rf"(?:({_ZH_DIGIT}{{2,4}})\s*年\s*)?({_ZH_DIGIT}{{1,3}})\s*月\s*"
                      rf"({_ZH_DIGIT}{{1,3}})\s*[日号]")
_DATE = (rf"(?<!\d){_ISO.pattern}(?!\d)|(?<!\d){_DAY_MONTH.pattern}(?!\d)|{_MONTH_DAY.pattern}(?!\d)"
         rf"|{_ZH_DATE.pattern}|\b(?:today|tomorrow|yesterday|now)\b|今天|明天|后天|昨天|前天|现在")
# any date, as one named group (the groups inside the date patterns made non-capturing)
_DATE_GROUP = "(?P<date>" + re.sub(r"\((?!\?)", "(?:", _DATE) + ")"
_SECOND_DATE = _DATE_GROUP.replace("?P<date>", "?P<second>")
_END = r"\s*[?.!。]*$"

_TODAY = (
    re.compile(r"\b(?:what(?:'s|s|\s+is)\s+(?:the\s+)?(?:date|day)(?:\s+(?:is\s+it|is\s+today|it\s+is))?"
               r"(?:\s+today)?|what(?:'s|s|\s+is)\s+today'?s\s+date|(?:what|which)\s+day\s+of\s+the\s+week\s+"
               r"is\s+(?:it|today)|(?:what|which)\s+day\s+is\s+(?:it|today)(?:\s+today)?|today'?s\s+date)"
               + _END),
    re.compile(r"今天(?:是|的)?(?:几月几[号日](?:[，,\s]*(?:星期|周|礼拜)几)?|几[号日]|(?:星期|周|礼拜)几|"
               r"日期(?:是(?:多少|什么|哪天))?|哪一?天|什么日期)[啊呀呢吗]?" + _END),
)
_OFFSET = (
    re.compile(r"\b(?:what(?:'s|s|\s+is|\s+was|\s+will\s+be)\s+(?:the\s+(?:date|day)\s+)?"
               r"|(?:what|which)\s+(?:date|day)\s+(?:is|was|will\s+be|would\s+be)\s+(?:it\s+)?)"
               r"(?P<in>in\s+)?(?P<count>\d{1,6})\s+(?P<unit>days?|weeks?)"
               rf"(?:\s+(?P<dir>after|before|from|since)\s+{_DATE_GROUP}|\s+(?P<ago>ago))?" + _END),
    re.compile(rf"(?:{_DATE_GROUP}\s?(?:的|再)?\s?)?(?P<dir>之?前|以前|之?后|以后|过)?\s?"
               r"(?P<count>\d{1,6}|[一二两三四五六七八九十百千]{1,6})\s*(?P<unit>天|周|个?星期|个?礼拜)\s*"
               r"(?P<dir2>之?前|以前|之?后|以后)?\s*(?:的日期)?\s*是\s*"
               r"(?:几月几[号日]|几[号日]|哪一?天|什么日期|星期几|周几)"),
)
_WEEKDAY = (
    re.compile(rf"\b(?:what|which)\s+(?:day(?:\s+of\s+the\s+week)?|weekday)\s+(?:is|was|will\s+be)\s+"
               rf"{_DATE_GROUP}(?:\s+on)?" + _END),
    re.compile(rf"\b(?:what|which)\s+(?:day(?:\s+of\s+the\s+week)?|weekday)\s+(?:will|does|did)\s+"
               rf"{_DATE_GROUP}\s+(?:be|fall\s+on)" + _END),
    re.compile(rf"{_DATE_GROUP}\s*(?:是|为)?\s*(?:星期|周|礼拜)几"),
)
_BETWEEN = (
    re.compile(rf"\bhow\s+(?:many\s+days|long)\s+(?:(?:are|is)\s+(?:there\s+)?(?:it\s+)?)?(?:between|from)\s+"
               rf"{_DATE_GROUP}\s+(?:and|to|until|till)\s+{_SECOND_DATE}"),
    re.compile(rf"(?:从\s*)?{_DATE_GROUP}\s*(?:到|至|和|与|跟|距离?|离)\s*{_SECOND_DATE}\s*(?:之间)?\s*"
               r"(?:一共|总共|共|相差|相隔|间隔|隔|差)?\s*还?(?:有|是|了)?\s*(?:多少|几)\s*个?\s*天"),
)
_UNTIL = (
    re.compile(r"\bhow\s+(?:many\s+(?:more\s+)?days|long)\s+(?:(?:are|is)\s+(?:there\s+)?(?:it\s+)?)?"
               r"(?:left\s+)?(?:(?:have\s+passed|has\s+it\s+been)\s+)?(?:until|till|til|to|before|since)\s+"
               + _DATE_GROUP),
    re.compile(rf"(?:距离?|离|到)\s*{_DATE_GROUP}\s*还?(?:有|剩|差)?\s*(?:多少|几)\s*个?\s*天"),
    re.compile(rf"{_DATE_GROUP}\s*(?:(?:至今|以来)\s*(?:已经)?\s*(?:过去?了|有)?|(?:已经)?\s*过去?了)\s*"
               r"(?:多少|几)\s*个?\s*天"),
)


def _integer(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    value = zh_numeral(text)
    return None if value is None else int(value)


def parse_date(text: str, today: date) -> date | None:
    """The date ``text`` names ("2025-05-02", "2 May 2025", "May 2", "2025年5月2日", "明天"), or None."""
    text = re.sub(r"\s+", " ", text.strip())
    if text in _RELATIVE:
        return today + timedelta(days=_RELATIVE[text])
    for pattern, order in ((_ISO, "ymd"), (_DAY_MONTH, "dmy"), (_MONTH_DAY, "mdy"), (_ZH_DATE, "ymd")):
        match = pattern.fullmatch(text)
        if match is None:
            continue
        parts = dict(zip(order, match.groups(), strict=True))
        month_text = parts["m"]
        month = _MONTH_NUMBERS.get(month_text[:3]) if month_text[0].isalpha() else _integer(month_text)
        year = _integer(parts["y"]) if parts["y"] else today.year
        day = _integer(parts["d"])
        if year is None or month is None or day is None:
            return None
        try:
            return date(year, month, day)
        except ValueError:
            return None
    return None


def _plain(day: date, language: str) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if language == "zh" else day.isoformat()


def _shown(text: str, day: date, language: str) -> str:
    """The date as shown in the working: "2025-05-02", or "today (2026-12-02)" for a word."""
    offset = _RELATIVE.get(re.sub(r"\s+", " ", text.strip()))
    if offset is None:
        return _plain(day, language)
    english, chinese = _DAY_NAMES[offset]
    plain = _plain(day, language)
    return f"{chinese}（{plain}）" if language == "zh" else f"{english} ({plain})"


def _weekday(day: date, language: str) -> str:
    return (_WEEKDAYS_ZH if language == "zh" else _WEEKDAYS_EN)[day.weekday()]


def _days(count: int, language: str) -> str:
    return f"{count}天" if language == "zh" else f"{count} day{'' if count == 1 else 's'}"


def _today_answer(match: re.Match[str], today: date, language: str) -> str | None:
    if language == "zh":
        return f"今天是{_plain(today, language)}，{_weekday(today, language)}。"
    return f"Today is {_weekday(today, language)}, {today.day} {_MONTHS_EN[today.month - 1]} {today.year}."


def _offset_answer(match: re.Match[str], today: date, language: str) -> str | None:
    direction = match["dir"] or match.groupdict().get("dir2") or ""
    if not (direction or match.groupdict().get("ago") or match.groupdict().get("in")):
        return None
    start_text = match["date"] or "today"
    start = parse_date(start_text, today)
    count = _integer(match["count"])
    if start is None or count is None:
        return None
    backwards = "前" in direction or direction == "before" or bool(match.groupdict().get("ago"))
    weeks = not match["unit"].startswith(("day", "天"))
    days = count * (7 if weeks else 1) * (-1 if backwards else 1)
    try:
        end = start + timedelta(days=days)
    except OverflowError:
        return None
    shown = _shown(start_text, start, language)
    if language == "zh":
        span = f"{'之前' if backwards else '之后'}{count}{'周' if weeks else '天'}"
        return f"{shown}{span}是{_plain(end, language)}，{_weekday(end, language)}。"
    unit = ("week" if weeks else "day") + ("" if count == 1 else "s")
    return (f"{count} {unit} {'before' if backwards else 'after'} {shown} is {_plain(end, language)}, "
            f"a {_weekday(end, language)}.")


def _weekday_answer(match: re.Match[str], today: date, language: str) -> str | None:
    day = parse_date(match["date"], today)
    if day is None:
        return None
    shown = _shown(match["date"], day, language)
    if language == "zh":
        return f"{shown}是{_weekday(day, language)}。"
    verb = "is" if day == today else ("was" if day < today else "will be")
    return f"{shown} {verb} a {_weekday(day, language)}."


def _between_answer(match: re.Match[str], today: date, language: str) -> str | None:
    first, second = parse_date(match["date"], today), parse_date(match["second"], today)
    if first is None or second is None:
        return None
    days = abs((second - first).days)
    start, end = _shown(match["date"], first, language), _shown(match["second"], second, language)
    if language == "zh":
        return f"从{start}到{end}共{_days(days, language)}。"
    return f"From {start} to {end} is {_days(days, language)}."


def _until_answer(match: re.Match[str], today: date, language: str) -> str | None:
    day = parse_date(match["date"], today)
    if day is None:
        return None
    days = (day - today).days
    shown, now = _plain(day, language), _shown("today", today, language)
    if language == "zh":
        if days == 0:
            return f"{shown}就是今天。"
        return (f"从{now}到{shown}还有{_days(days, language)}。" if days > 0
                else f"从{shown}到{now}已经过去了{_days(-days, language)}。")
    if days == 0:
        return f"{shown} is today."
    return (f"From {now} to {shown} is {_days(days, language)}." if days > 0
            else f"From {shown} to {now} is {_days(-days, language)}.")


_Answer = Callable[[re.Match[str], date, str], str | None]
_QUESTIONS: tuple[tuple[tuple[re.Pattern[str], ...], _Answer], ...] = (
    (_TODAY, _today_answer), (_OFFSET, _offset_answer), (_WEEKDAY, _weekday_answer),
    (_BETWEEN, _between_answer), (_UNTIL, _until_answer))


def answer_date(text: str, today: date, language: str) -> str | None:
    """The answer to a date question in ``text`` (lowercased), counted from ``today``, or None."""
    for patterns, answer in _QUESTIONS:
        for pattern in patterns:
            match = pattern.search(text)
            if match is not None:
                return answer(match, today, language)
    return None
