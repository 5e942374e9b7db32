"""compute_answer: exact answers, with the working, to arithmetic, unit and date questions in
English and Chinese; None for everything else (document and fact questions with numbers in them,
statements, broken or huge input)."""

from __future__ import annotations

import datetime
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.compute import MAX_CHARS, Computed, compute_answer
from agent.compute_arithmetic import format_number

TODAY = datetime.date(2026, 12, 2)  # a Wednesday


def ask(text: str, language: str = "en", today: datetime.date = TODAY) -> Computed | None:
    return compute_answer(text, today=today, language=language)


ARITHMETIC = [
    ("Hello! What is 1+1?", "en", "1 + 1 = 2"),
    ("what's 12 * (3 + 4)?", "en", "12 × (3 + 4) = 84"),
    ("2^10", "en", "2^10 = 1024"),
    ("17 / 4", "en", "17 ÷ 4 = 4.25"),
    ("what is 15% of 80", "en", "15% × 80 = 12"),
    ("calculate 3.5 * 2", "en", "3.5 × 2 = 7"),
    ("1+1等于几？", "zh", "1 + 1 = 2"),
    ("3乘以4是多少", "zh", "3 × 4 = 12"),
    ("100除以8等于多少", "zh", "100 ÷ 8 = 12.5"),
    ("二加三等于几", "zh", "2 + 3 = 5"),
    ("12的平方是多少", "zh", "12² = 144"),
    ("1+1", "en", "1 + 1 = 2"),
    ("what is 1+1", "en", "1 + 1 = 2"),
    ("1+1=?", "en", "1 + 1 = 2"),
    ("Hello! 1+1?", "en", "1 + 1 = 2"),
    ("What is 1+1.", "en", "1 + 1 = 2"),
    ("what is 10/3?", "en", "10 ÷ 3 ≈ 3.333333333"),
    ("1/7=?", "en", "1 ÷ 7 ≈ 0.1428571429"),
    ("what is 0.1 + 0.2?", "en", "0.1 + 0.2 = 0.3"),
    ("what is 100 - 99.99?", "en", "100 - 99.99 = 0.01"),
    ("what is 1/3 + 1/6?", "en", "1 ÷ 3 + 1 ÷ 6 = 0.5"),
    ("what is 0.000001 / 3?", "en", "0.000001 ÷ 3 ≈ 0.0000003333333333"),
    ("what is 2 ** 10", "en", "2^10 = 1024"),
    ("what is 2^-2?", "en", "2^-2 = 0.25"),
    ("2^3^2=?", "en", "2^3^2 = 512"),
    ("-2^2=?", "en", "-2^2 = -4"),
    ("what is -3 + 5?", "en", "-3 + 5 = 2"),
    ("what is 3 + 4 times 2?", "en", "3 + 4 × 2 = 11"),
    ("what is 1,000 + 2,500?", "en", "1,000 + 2,500 = 3500"),
    ("what is 7 minus 10?", "en", "7 - 10 = -3"),
    ("how much is 7 times 6", "en", "7 × 6 = 42"),
    ("what is 10 divided by 4?", "en", "10 ÷ 4 = 2.5"),
    ("what is 2 to the power of 10", "en", "2^10 = 1024"),
    ("what is 3 x 4?", "en", "3 × 4 = 12"),
    ("what is 2 ** 0.5?", "en", "2^0.5 ≈ 1.414213562"),
    ("what is 123456789 * 987654321?", "en", "123456789 × 987654321 = 121932631112635269"),
    ("what is 10^100?", "en", "10^100 = 1" + "0" * 100),
    ("１２＋３＝？", "zh", "12 + 3 = 15"),
    ("请计算 (1+2)*3", "zh", "(1 + 2) × 3 = 9"),
    ("十二乘以三等于几", "zh", "12 × 3 = 36"),
    ("5的立方是多少", "zh", "5³ = 125"),
    ("5×6÷3等于多少", "zh", "5 × 6 ÷ 3 = 10"),
    # refused or impossible, said plainly
    ("what is 1/0?", "en", "1 ÷ 0 has no value: cannot divide by zero."),
    ("what is 5 / (2 - 2)?", "en", "5 ÷ (2 - 2) has no value: cannot divide by zero."),
    ("what is 0^-1?", "en", "0^-1 has no value: cannot divide by zero."),
    ("1除以0等于多少", "zh", "1 ÷ 0：不能除以零。"),
    ("what is 2^100000?", "en", "2^100000 is too large to compute exactly (over 10^100)."),
    ("what is 10^100 + 1?", "en", "10^100 + 1 is too large to compute exactly (over 10^100)."),
    ("9^9^9=?", "zh", "9^9^9 的结果太大（超过 10^100），无法精确计算。"),
]

UNITS = [
    ("how many metres is 3 km", "en", "3 km = 3000 m (1 km = 1000 m)."),
    ("convert 5 miles to km", "en", "5 mi = 8.04672 km (1 mi = 1.609344 km)."),
    ("convert 5 miles to km, please", "en", "5 mi = 8.04672 km (1 mi = 1.609344 km)."),
    ("3 km in m", "en", "3 km = 3000 m (1 km = 1000 m)."),
    ("3 m in km", "en", "3 m = 0.003 km (1 m = 0.001 km)."),
    ("what is 100 F in celsius", "en", "100 °F ≈ 37.77777778 °C (°C = (°F - 32) × 5/9)."),
    ("3 公里是多少米", "zh", "3 公里 = 3000 米（1 公里 = 1000 米）。"),
    ("5斤等于多少公斤", "zh", "5 斤 = 2.5 公斤（1 斤 = 0.5 公斤）。"),
    ("把 2 小时换算成分钟", "zh", "2 小时 = 120 分钟（1 小时 = 60 分钟）。"),
    ("convert 12 inches to cm", "en", "12 in = 30.48 cm (1 in = 2.54 cm)."),
    ("how many feet in a mile?", "en", "1 mi = 5280 ft."),
    ("what is 2 yards in metres?", "en", "2 yd = 1.8288 m (1 yd = 0.9144 m)."),
    ("250 mm to cm", "en", "250 mm = 25 cm (1 mm = 0.1 cm)."),
    ("1 kg in pounds", "en", "1 kg ≈ 2.204622622 lb."),
    ("what is 16 oz in grams?", "en", "16 oz = 453.59237 g (1 oz ≈ 28.34952313 g)."),
    ("2 t in kg", "en", "2 t = 2000 kg (1 t = 1000 kg)."),
    ("500 mg to g", "en", "500 mg = 0.5 g (1 mg = 0.001 g)."),
    ("convert 2 gallons to litres", "en", "2 US gal = 7.570823568 L (1 US gal = 3.785411784 L)."),
    ("how many ml in 3 cups?", "en", "3 US cups = 709.7647095 ml (1 US cup = 236.5882365 ml)."),
    ("1.5 l in ml", "en", "1.5 L = 1500 ml (1 L = 1000 ml)."),
    ("-40 c to f", "en", "-40 °C = -40 °F (°F = °C × 9/5 + 32)."),
    ("convert 300 kelvin to celsius", "en", "300 K = 26.85 °C (°C = K - 273.15)."),
    ("what is 37 °C in °F?", "en", "37 °C = 98.6 °F (°F = °C × 9/5 + 32)."),
    ("how many minutes in 2 hours?", "en", "2 h = 120 min (1 h = 60 min)."),
    ("how many seconds are in a day?", "en", "1 day = 86400 s."),
    ("3 weeks in days", "en", "3 weeks = 21 days (1 week = 7 days)."),
    ("100 km/h in mph", "en", "100 km/h ≈ 62.13711922 mph (1 mph = 1.609344 km/h)."),
    ("convert 60 mph to km/h", "en", "60 mph = 96.56064 km/h (1 mph = 1.609344 km/h)."),
    ("3 英尺等于多少厘米", "zh", "3 英尺 = 91.44 厘米（1 英尺 = 30.48 厘米）。"),
    ("10英里是多少公里", "zh", "10 英里 = 16.09344 公里（1 英里 = 1.609344 公里）。"),
    ("2千克等于多少磅", "zh", "2 千克 ≈ 4.409245244 磅（1 磅 = 0.45359237 千克）。"),
    ("1吨是多少斤", "zh", "1 吨 = 2000 斤。"),
    ("3升是多少毫升", "zh", "3 升 = 3000 毫升（1 升 = 1000 毫升）。"),
    ("1加仑等于多少升", "zh", "1 加仑 = 3.785411784 升。"),
    ("100华氏度是多少摄氏度", "zh", "100 华氏度 ≈ 37.77777778 摄氏度（摄氏度 = (华氏度 - 32) × 5/9）。"),
    ("30度是多少华氏度", "zh", "30 摄氏度 = 86 华氏度（华氏度 = 摄氏度 × 9/5 + 32）。"),
    ("三千米是多少米", "zh", "3 千米 = 3000 米（1 千米 = 1000 米）。"),
    ("两个小时是多少分钟", "zh", "2 小时 = 120 分钟（1 小时 = 60 分钟）。"),
    ("1周是几天", "zh", "1 周 = 7 天。"),
    ("把 90 分钟换算成小时", "zh", "90 分钟 = 1.5 小时（1 小时 = 60 分钟）。"),
    ("5 公里等于多少英里", "zh", "5 公里 ≈ 3.106855961 英里（1 英里 = 1.609344 公里）。"),
    # the reply follows `language`, not the language of the question
    ("3 km in m", "zh", "3 公里 = 3000 米（1 公里 = 1000 米）。"),
    ("3 公里是多少米", "en", "3 km = 3000 m (1 km = 1000 m)."),
]

DATES = [
    ("what day is it?", "en", "Today is Wednesday, 2 December 2026."),
    ("what day is it today?", "en", "Today is Wednesday, 2 December 2026."),
    ("what's the date today", "en", "Today is Wednesday, 2 December 2026."),
    ("What is today's date?", "en", "Today is Wednesday, 2 December 2026."),
    ("Hi! Which day is today?", "en", "Today is Wednesday, 2 December 2026."),
    ("今天几号", "zh", "今天是2026年12月2日，星期三。"),
    ("今天星期几", "zh", "今天是2026年12月2日，星期三。"),
    ("今天是几月几号？", "zh", "今天是2026年12月2日，星期三。"),
    ("请问今天是星期几？", "zh", "今天是2026年12月2日，星期三。"),
    ("what day is it?", "zh", "今天是2026年12月2日，星期三。"),
    ("what day of the week is 2025-05-02", "en", "2025-05-02 was a Friday."),
    ("what day was May 2, 2025?", "en", "2025-05-02 was a Friday."),
    ("what day of the week will 25 December 2026 be?", "en", "2026-12-25 will be a Friday."),
    ("what day is 2026-12-02?", "en", "2026-12-02 is a Wednesday."),
    ("2025年5月2日是星期几", "zh", "2025年5月2日是星期五。"),
    ("5月2日是星期几", "zh", "2026年5月2日是星期六。"),
    ("明天星期几", "zh", "明天（2026年12月3日）是星期四。"),
    ("how many days between 2025-01-28 and 2025-05-02", "en", "From 2025-01-28 to 2025-05-02 is 94 days."),
    ("how many days are there between 2 May 2025 and 28 January 2025?", "en",
     "From 2025-05-02 to 2025-01-28 is 94 days."),
    ("how many days from today to 2026-12-25?", "en", "From today (2026-12-02) to 2026-12-25 is 23 days."),
    ("2025年1月28日到2025年5月2日有多少天", "zh", "从2025年1月28日到2025年5月2日共94天。"),
    ("how many days between 2025-01-28 and 2025-05-02", "zh", "从2025年1月28日到2025年5月2日共94天。"),
    ("从2025年1月1日到2025年1月2日相差几天", "zh", "从2025年1月1日到2025年1月2日共1天。"),
    ("how many days until 25 December 2026", "en", "From today (2026-12-02) to 2026-12-25 is 23 days."),
    ("how many days until 25 December 2026", "zh", "从今天（2026年12月2日）到2026年12月25日还有23天。"),
    ("距离2027年1月1日还有几天", "zh", "从今天（2026年12月2日）到2027年1月1日还有30天。"),
    ("how many days since 2025-01-01?", "en", "From 2025-01-01 to today (2026-12-02) is 700 days."),
    ("how many days are left until Dec 25?", "en", "From today (2026-12-02) to 2026-12-25 is 23 days."),
    ("2025年1月1日至今已经过去了多少天", "zh", "从2025年1月1日到今天（2026年12月2日）已经过去了700天。"),
    ("how many days until 2026-12-02?", "en", "2026-12-02 is today."),
    ("离12月2日还有几天", "zh", "2026年12月2日就是今天。"),
    ("what date is 30 days after 2025-01-01", "en", "30 days after 2025-01-01 is 2025-01-31, a Friday."),
    ("what date is 30 days after 2025-01-01", "zh", "2025年1月1日之后30天是2025年1月31日，星期五。"),
    ("what was the date 2 weeks before 2025-03-01?", "en",
     "2 weeks before 2025-03-01 is 2025-02-15, a Saturday."),
    ("what's the date in 10 days?", "en", "10 days after today (2026-12-02) is 2026-12-12, a Saturday."),
    ("what date was it 1 day ago?", "en", "1 day before today (2026-12-02) is 2026-12-01, a Tuesday."),
    ("2025年1月1日之后30天是几号", "zh", "2025年1月1日之后30天是2025年1月31日，星期五。"),
    ("30天后是几号", "zh", "今天（2026年12月2日）之后30天是2027年1月1日，星期五。"),
    ("三天前是几号", "zh", "今天（2026年12月2日）之前3天是2026年11月29日，星期日。"),
    ("2025年3月1日前2周是哪天", "zh", "2025年3月1日之前2周是2025年2月15日，星期六。"),
]

NOT_COMPUTED = [
    # questions about documents or facts that merely contain numbers
    "When was Kestrel Loom founded?",
    "How much water does the Aerolux H3 tank hold?",
    "What is the total budget for Project Halvard now?",
    "What percentage of the cress seeds germinated?",
    "How far is the walk to the lighthouse?",
    "青石河下游采样点的溶解氧有多少？",
    "碧螺峰的索道单程票多少钱？",
    "奶奶八十大寿那天一共来了多少人？",
    "上个季度用户满意度打了几分？",
    "What happened in 2019?",
    "What happened on 2025-05-02?",
    "Is 3.5 the version?",
    "what is 3.2.1?",
    "Call 0800 414 2290",
    "0800-414-2290?",
    "414-555-2290?",
    "the meeting is on 2025-05-02",
    "2025-05-02",
    "2025-05-02?",
    "Is the score 3-2?",
    "what is the 3-2 record?",
    "what is 15%",
    "42",
    "3.5",
    "-7?",
    "what is 1e5+1?",
    "what's (-8)^(1/3)?",
    "what is 2 + ?",
    "what is (1+2",
    "what is __import__('os').system('ls')",
    "请参加3人会议",
    "What time is it?",
    "what day is the meeting?",
    "How long until the meeting?",
    "今天天气怎么样",
    "今天几号开会的那个文件在哪？",
    "2026年2月30日是星期几",
    "what is 99999999 days after 2025-01-01",
    "what date is 999999 weeks after 2025-01-01?",
    # statements and conversions that are not asked for, or between different dimensions
    "My sister Lin lives in Hangzhou.",
    "I walked 3 km to school",
    "I ran 5 km in 30 minutes",
    "I sleep 8 hours in days off",
    "convert 5 km to kg",
    "100平方米是多少平方英尺",
    "Thanks!",
    # empty, punctuation, broken text
    "",
    " ",
    "?!?...",
    "。？！",
    "\ud800",
    "\udcff\udcfe",
    "\ufffd\ufffd?",
    "\x00\x01\x02",
    "ä½ å¥½ï¼",
    b"\xff\xfe\xfa".decode("utf-8", "surrogateescape"),
]


@pytest.mark.parametrize(("text", "language", "answer"), ARITHMETIC)
def test_arithmetic_is_computed_with_the_working(text: str, language: str, answer: str) -> None:
    assert ask(text, language) == Computed(answer, "arithmetic")


@pytest.mark.parametrize(("text", "language", "answer"), UNITS)
def test_unit_conversions_show_the_factor(text: str, language: str, answer: str) -> None:
    assert ask(text, language) == Computed(answer, "unit")


@pytest.mark.parametrize(("text", "language", "answer"), DATES)
def test_dates_are_counted_from_the_given_today(text: str, language: str, answer: str) -> None:
    assert ask(text, language) == Computed(answer, "date")


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("text", NOT_COMPUTED)
def test_other_messages_are_not_computed(text: str, language: str) -> None:
    assert ask(text, language) is None


def test_today_comes_from_the_caller_not_the_clock() -> None:
    assert ask("what day is it?", today=datetime.date(2000, 1, 1)) == Computed(
        "Today is Saturday, 1 January 2000.", "date")
    assert ask("how many days until 2000-01-31?", today=datetime.date(2000, 1, 1)) == Computed(
        "From today (2000-01-01) to 2000-01-31 is 30 days.", "date")


def test_an_unknown_language_gets_an_english_reply() -> None:
    assert ask("3 公里是多少米", "fr") == Computed("3 km = 3000 m (1 km = 1000 m).", "unit")


@pytest.mark.parametrize(("text", "answer"), [
    ("1+1=?\ud800", "1 + 1 = 2"),
    ("\udcff what is 2*3?", "2 × 3 = 6"),
    ("\ufffd 1+1=?", "1 + 1 = 2"),
])
def test_broken_characters_around_a_question_are_ignored(text: str, answer: str) -> None:
    assert ask(text) == Computed(answer, "arithmetic")


@pytest.mark.parametrize("text", [
    "1+1=? " + "x" * 1_000_000,
    "1+" * 500_000 + "1",
    "what day is it? " * 70_000,
    "一" * 1_000_000,
])
def test_a_megabyte_of_text_is_not_looked_at(text: str) -> None:
    assert ask(text) is None


@pytest.mark.parametrize("text", [
    "(" * 250 + "1" + ")" * 249,
    "-" * 499 + "1",
    "2^" * 249 + "2",
    "what is " + "一" * 487,
    "how many days until " + "一" * 470 + " km",
    "2025年1月1日" + " " * 480 + "天",
    "1 " * 250,
    " " * MAX_CHARS,
])
def test_the_longest_messages_looked_at_are_answered(text: str) -> None:
    for language in ("en", "zh"):
        result = ask(text[:MAX_CHARS], language)
        assert result is None or result.kind == "arithmetic"


@pytest.mark.parametrize(("value", "text", "exact"), [
    (Fraction(2), "2", True),
    (Fraction("7.0"), "7", True),
    (Fraction(5, 2), "2.5", True),
    (Fraction("1.50"), "1.5", True),
    (Fraction(1, 3), "0.3333333333", False),
    (Fraction(2, 3), "0.6666666667", False),
    (Fraction(-1, 8), "-0.125", True),
    (Fraction(10**20), "100000000000000000000", True),
    (2.0, "2", False),
    (2**0.5, "1.414213562", False),
])
def test_numbers_are_shown_without_trailing_zeros(value: Fraction | float, text: str, exact: bool) -> None:
    assert format_number(value) == (text, exact)


_PIECES = [*"0123456789+-*/^()%.,=? 年月日号天几多少是到加乘除kmin", "what is ", "how many days ", " to ",
           "2025-01-01", "今天", "公里", "\ud800"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join) | st.text(max_size=80))
def test_any_text_gives_none_or_an_answer(text: str) -> None:
    for language in ("en", "zh"):
        result = ask(text, language)
        assert result is None or (result.kind in ("arithmetic", "unit", "date") and result.answer)
