"""Time anchoring: relative expressions (English and Chinese) resolved against the date a turn
was said, and the words indexed with the turn."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from memory.time_anchor import add_months, anchor_text, asks_when, mentions_time, resolve

SAID = datetime(2023, 5, 8, 13, 56)  # a Monday


def meanings(text: str, at: datetime | date = SAID) -> list[str]:
    return [r.words(chinese=any("\u4e00" <= ch <= "\u9fff" for ch in text)) for r in resolve(text, at)]


@pytest.mark.parametrize(("text", "meant"), [
    ("I went to a support group yesterday.", "7 May 2023"),
    ("We met the day before yesterday", "6 May 2023"),
    ("Tonight we cook", "8 May 2023"),
    ("My exam is tomorrow", "9 May 2023"),
    ("Yes, last Friday, it was great!", "5 May 2023"),
    ("See you next Monday", "15 May 2023"),
    ("I ran a race last weekend", "6 May 2023"),
    ("I moved last week", "week of 1 May 2023"),
    ("I started two weeks ago", "week of 24 April 2023"),
    ("I got it 3 days ago", "5 May 2023"),
    ("We go camping next month", "June 2023"),
    ("I painted it last month", "April 2023"),
    ("I quit six months ago", "November 2022"),
    ("We married last year", "2022"),
    ("I graduated 10 years ago", "2013"),
    ("The trip is in two weeks", "week of 22 May 2023"),
])
def test_english_relative_expressions_mean_a_date(text, meant):
    assert meanings(text) == [meant]


@pytest.mark.parametrize(("text", "meant"), [
    ("我昨天去了公园", "2023年5月7日"),
    ("前天下雨了", "2023年5月6日"),
    ("明天见", "2023年5月9日"),
    ("我上周搬家了", "2023年5月1日那周"),
    ("上周五我们去看了电影", "2023年5月5日"),
    ("下个月去露营", "2023年6月"),
    ("上个月开始学画画", "2023年4月"),
    ("两周前我换了工作", "2023年4月24日那周"),
    ("三天前买的", "2023年5月5日"),
    ("十二天前", "2023年4月26日"),
    ("三个月前辞职了", "2023年2月"),
    ("半年前", "2022年11月"),
    ("去年结婚了", "2022年"),
    ("明年毕业", "2024年"),
])
def test_chinese_relative_expressions_mean_a_date(text, meant):
    assert meanings(text) == [meant]


def test_several_expressions_are_resolved_in_order_and_each_meaning_once():
    text = "Yesterday I ran; next month we camp; I also ran yesterday."
    found = [(r.expression, r.grain) for r in resolve(text, SAID)]
    assert found == [("Yesterday", "day"), ("next month", "month")]


def test_words_that_only_look_like_time_are_left_alone():
    # "two weeks before <event>" is relative to the event, not to the day it was said
    found = resolve("Two weeks before the wedding I was nervous. Today's special is soup?", SAID)
    assert [r.expression for r in found] == ["Today"]
    assert resolve("I love the weekend and my birthday month", SAID) == []


def test_month_arithmetic_crosses_years():
    assert add_months(date(2023, 1, 31), -1) == date(2022, 12, 1)
    assert add_months(date(2023, 12, 5), 1) == date(2024, 1, 1)
    assert meanings("last month", date(2023, 1, 10)) == ["December 2022"]
    assert meanings("上个月", date(2023, 1, 10)) == ["2022年12月"]


def test_anchor_text_gives_the_day_said_and_what_each_expression_means():
    assert anchor_text("I went to a support group yesterday.", SAID) == \
        "on Monday 8 May 2023; yesterday: 7 May 2023"
    assert anchor_text("我昨天去了公园", SAID) == "2023年5月8日 星期一; 昨天: 2023年5月7日"
    assert anchor_text("Nice to meet you!", SAID) == "on Monday 8 May 2023"


@pytest.mark.parametrize(("question", "asks"), [
    ("When did Caroline go to the LGBTQ support group?", True),
    ("How long ago was Caroline's 18th birthday?", True),
    ("In what year did she move, and when?", True),
    ("卡罗琳什么时候去的支持小组？", True),
    ("What did Caroline paint?", False),
    ("她画了什么？", False),
])
def test_asks_when(question, asks):
    assert asks_when(question) is asks


@pytest.mark.parametrize(("text", "placed"), [
    ("Yes, last Friday, it was great!", True),
    ("We went there on May 3.", True),
    ("I started painting in 2019.", True),
    ("我上周三去的", True),
    ("I love pottery, it calms me.", False),
    ("I have 2 kids and 3 cats.", False),
])
def test_mentions_time(text, placed):
    assert mentions_time(text) is placed
