import time

import pytest

from agent.language import asks_question, message_kind

QUESTIONS = [
    # explicit questions
    "Where does Lin live?", "what is BM25", "林住在哪里", "你喜欢什么", "他去过上海吗", "长江有多长？",
    "林住在哪里。", "张家口赛区共产生了几块金牌", "2021年香港GDP增长了多少",
    "My humidifier shows E7. What is wrong with it?", "In which town is the head office?",
    "Westfield Culver City is owned by what Australian company",
    # search-style noun phrases
    "卡塔尔世界杯决赛队伍", "《流浪地球2》的主演", "2022年诺贝尔文学奖得主", "北京冬奥会澳大利亚运动员数量",
    "Kestrel Loom head office", "Aerolux H3 warranty", "capital of France", "Aerolux H3 filters.",
    "Lin's address", "溶解氧",
    # requests
    "Tell me about Project Halvard", "请介绍一下云岫公司", "Give me the budget of Project Halvard",
    "I want to know when the ferry leaves", "I'd like to know who supervised the experiment",
    "Do you know where Lin lives", "我想知道钟鼓楼是哪年建的", "帮我查一下溶解氧",
    "I wonder who supervised the experiment.", "Please list the error codes.",
    "Can you tell me the booking reference", "I’d like to know the fare",
    # mixed Chinese and English
    "Aerolux H3 的保修期多长？", "Kestrel Loom 的总部在哪里",
]
STATEMENTS = [
    "骆星河还在青枫市上班，前几天刚升了职。", "我买了几个苹果。", "多少有点累", "今天多少有点累。",
    "My sister Lin lives in Hangzhou.", "Lin moved to Shanghai.", "Lin moved to Shanghai",
    "I like green tea.", "I like green tea", "我妹妹住在杭州。", "我妹妹住在杭州", "她搬到上海了。",
    "她搬到上海了",
    "我表哥骆星河在青枫市工作。", "Big news: Ilse moved to Carrickfell last month.",
    "Remember that my dentist appointment is on 3 March.", "My brother lives in Wrenfield",
    "She works as a pharmacist at the hospital there.", "I’m driving up to see him this weekend.",
    "我不吃香菜。", "我外婆住在柳塘村。", "过几天我要去北京。", "这几天我在家里休息。",
    "Aerolux H3 的保修期是两年。", "我在 Google 工作。",
]
SMALLTALK = [
    "thanks", "thanks!", "Thank you!", "ok", "OK.", "ＯＫ", "hello", "Hi there!", "Good morning!",
    "Bye Joanna!",
    "How are you?", "ok thanks", "你好", "谢谢", "好的", "好的，谢谢！", "你好吗？", "不客气！",
]


@pytest.mark.parametrize("text", QUESTIONS)
def test_a_message_that_asks_for_information_is_a_question(text):
    assert message_kind(text) == "question"
    assert asks_question(text) is True


@pytest.mark.parametrize("text", STATEMENTS)
def test_a_clear_statement_is_a_statement(text):
    assert message_kind(text) == "statement"
    assert asks_question(text) is False


@pytest.mark.parametrize("text", SMALLTALK)
def test_greetings_and_thanks_are_small_talk(text):
    assert message_kind(text) == "smalltalk"
    assert asks_question(text) is False


@pytest.mark.parametrize("text", ["", "   ", "...", "?!", "？？", "——", "🙂", "\x00", "\u200b"])
def test_nothing_to_look_up_is_small_talk(text):
    assert message_kind(text) == "smalltalk"


@pytest.mark.parametrize("text", ["\ud800 broken", "Lin \udfff moved to Shanghai.", "林住在\udc80哪里",
                                  "e\u0301te\u0301", "\ufeffWhere does Lin live?"])
def test_broken_unicode_is_classified_without_error(text):
    assert message_kind(text) in {"question", "statement", "smalltalk"}


def test_broken_characters_do_not_hide_small_talk():
    assert message_kind("hello \ud800 there\x00") == "smalltalk"
    assert message_kind("谢谢\ufffd") == "smalltalk"


def test_a_long_message_is_judged_by_its_start_and_end_quickly():
    prose = "The river flows north past the old mill. " * 25_000
    chinese = "我妹妹住在杭州，前几天刚升了职。" * 60_000
    started = time.perf_counter()
    assert message_kind(prose) == "statement"
    assert message_kind(chinese) == "statement"
    assert message_kind(prose + " Where does it end?") == "question"
    assert message_kind("ok " * 400_000) in {"question", "statement"}
    assert message_kind("哈" * 1_000_000 + "!?.") == "question"
    assert time.perf_counter() - started < 1.0
