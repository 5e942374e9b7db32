"""The evidence-first reader: question typing, focus, answer spans, answers and declines (en, zh)."""

import pytest

from agent.answer_check import focused_answer
from agent.question import analyse, answer_type
from agent.reader import Reader
from agent.spans import spans
from memory.parts import Passage

BLUEFIN = Passage(
    "Bluefin Robotics builds underwater drones for harbour inspections. The company was founded in 2008 "
    "by Mara Quist in Lowhaven. In 2023 it employed 120 people. Its headquarters are in Saltmere. "
    "The Marlin-7 drone can dive to a depth of 300 meters and runs for 9 hours on one charge. "
    "The chief technology officer is Oren Falk.", "Bluefin Robotics profile", "c1")
KESTREL = Passage(
    "Kestrel Loom makes forecasting software. In 2016 it moved its head office to the Calder Works "
    "building in Port Ellery. The warranty is two years; registering within 30 days extends it to three "
    "years.", "Kestrel Loom profile", "c2")
XINGHE = Passage(
    "星河科技公司简介。星河科技成立于2015年，总部位于临江市滨湖大厦。公司现有员工450人，"
    "总经理是韩明远。2022年公司营收达到3.2亿元。旗舰产品“星眼”摄像头去年卖出了12万台。",
    "星河科技公司简介", "c3")
TRIP = Passage(
    "第一天上午乘坐G2871次高铁前往雾川，下午入住听溪山居。索道单程票价90元，往返160元。"
    "晚上的夜市开到凌晨1点。", "雾川行程", "c4")


@pytest.mark.parametrize(("question", "expected"), [
    ("When was Bluefin Robotics founded?", "date"),
    ("Who is the chief technology officer?", "person"),
    ("Where is Kestrel Loom's main office?", "place"),
    ("How deep can the Marlin-7 dive?", "distance"),
    ("How many people does Bluefin employ?", "number"),
    ("How much does the ticket cost?", "money"),
    ("What time does the ferry leave?", "time"),
    ("What percentage of the seeds germinated?", "percent"),
    ("How long does the battery last?", "duration"),
    ("What number should I call for service?", "phone"),
    ("Which hotel are we staying at?", "name"),
    ("Does Kestrel Loom sell customer data?", "yesno"),
    ("What does Bluefin build?", "thing"),
    ("星河科技的总部在哪里？", "place"),
    ("星河科技是哪一年成立的？", "date"),
    ("星河科技的总经理是谁？", "person"),
    ("公司有多少员工？", "number"),
    ("索道单程票多少钱？", "money"),
    ("夜市晚上开到几点？", "time"),
    ("我们坐的是哪趟高铁？", "name"),
])
def test_the_expected_answer_type(question, expected):
    assert answer_type(question) == expected


def test_focus_and_names_of_an_english_question():
    question = analyse("When was Bluefin Robotics founded?")
    assert question.names == ("Bluefin Robotics",)
    assert question.focus == ("found",)


def test_focus_and_names_of_a_chinese_question():
    question = analyse("星河科技的总部在哪里？")
    assert "总部" in question.focus
    assert any("星河" in name for name in question.names) or "星河科技" in question.focus


@pytest.mark.parametrize(("sentence", "kind", "expected"), [
    ("The company was founded in 2008 by Mara Quist.", "date", ["2008"]),
    ("The cut-over moves to 2 May 2025 after testing.", "date", ["2 May 2025"]),
    ("It can dive to a depth of 300 meters.", "distance", ["300 meters"]),
    ("The H3 has a 4.2-litre water tank.", "volume", ["4.2-litre"]),
    ("About 81% of the seeds under blue light germinated.", "percent", ["81%"]),
    ("The budget is now 48,000 euros.", "money", ["48,000 euros"]),
    ("It employs 340 people in four countries.", "number", ["340 people", "four"]),
    ("Call 0800 414 2290 on weekdays.", "phone", ["0800 414 2290"]),
    ("The ferry leaves at 12:30 from the quay.", "time", ["12:30"]),
    ("星河科技成立于2015年，总部位于临江市。", "date", ["2015年"]),
    ("索道单程票价90元，往返160元。", "money", ["90元", "160元"]),
    ("水样于2024年8月12日采集。", "date", ["2024年8月12日"]),
    ("晚上的夜市开到凌晨1点。", "time", ["凌晨1点"]),
    ("下游溶解氧为3.9毫克/升。", "number", ["3.9毫克/升"]),
])
def test_answer_spans_of_a_type(sentence, kind, expected):
    assert [s.text for s in spans(sentence, kind)] == expected


@pytest.fixture(scope="module")
def reader():
    return Reader()  # lexical only: these tests need no embedder


@pytest.mark.parametrize(("question", "evidence", "answer"), [
    ("When was Bluefin Robotics founded?", [BLUEFIN], "2008"),
    ("How deep can the Marlin-7 dive?", [BLUEFIN], "300 meters"),
    ("What depth can the Marlin-7 dive to?", [BLUEFIN], "300 meters"),
    ("Who is the chief technology officer of Bluefin Robotics?", [BLUEFIN], "Oren Falk"),
    ("Where is Kestrel Loom's main office?", [KESTREL, BLUEFIN], "Port Ellery"),
    ("How many people did Bluefin Robotics employ in 2023?", [BLUEFIN], "120 people"),
    ("星河科技的总部在哪里？", [XINGHE], "临江市"),
    ("星河科技是哪一年成立的？", [XINGHE], "2015年"),
    ("星河科技的总经理是谁？", [XINGHE], "韩明远"),
    ("索道单程票多少钱？", [TRIP], "90元"),
    ("夜市晚上开到几点？", [TRIP], "凌晨1点"),
])
def test_the_reader_answers_with_the_span_and_cites_its_sentence(reader, question, evidence, answer):
    reading = reader.read(question, evidence)
    assert reading is not None, question
    assert reading.short == answer
    assert answer in reading.sentence
    assert f"[{reading.passage}]" in reading.answer
    assert evidence[reading.passage - 1].text.find(reading.sentence) >= 0
    assert len(reading.answer) <= 600


@pytest.mark.parametrize(("question", "evidence"), [
    ("Who is the chief financial officer of Bluefin Robotics?", [BLUEFIN]),  # CTO is no CFO
    ("How much does the Marlin-7 weigh?", [BLUEFIN]),  # no mass anywhere
    ("When was Kestrel Loom founded?", [KESTREL]),  # 2016 is when it moved
    ("星河科技的董事长是谁？", [XINGHE]),
    ("星河科技2023年的营收是多少？", [XINGHE]),  # 2022's revenue is not 2023's
    ("What is the capital of France?", [BLUEFIN, KESTREL]),
])
def test_the_reader_declines_what_the_evidence_does_not_say(reader, question, evidence):
    assert reader.read(question, evidence) is None


def test_the_reader_declines_without_evidence(reader):
    assert reader.read("When was Bluefin Robotics founded?", []) is None


@pytest.mark.parametrize("question", ["", "?？!", "a" * 1_000_000, "Aerolux H3 的保修期多长？\ud800"])
def test_the_reader_survives_bad_questions(reader, question):
    assert reader.read(question, [BLUEFIN, XINGHE]) is None


def test_the_question_aware_check_fails_a_date_that_is_not_the_focus():
    evidence = [BLUEFIN.text]
    assert not focused_answer("2023 [1].", "When was Bluefin Robotics founded?", evidence)
    assert focused_answer("It was founded in 2008 [1].", "When was Bluefin Robotics founded?", evidence)
    assert focused_answer("I don't know.", "When was Bluefin Robotics founded?", evidence)


def test_the_question_aware_check_in_chinese():
    evidence = [XINGHE.text]
    assert not focused_answer("2022年[1]。", "星河科技是哪一年成立的？", evidence)
    assert focused_answer("星河科技成立于2015年[1]。", "星河科技是哪一年成立的？", evidence)


NEWSLETTER = Passage("Family news. Tobias spent his summer internship at Harrow Quay Analytics. "
                     "He is back at school now.", "Family newsletter", "n1")
COMPANY = Passage("Harrow Quay Analytics makes tide forecasts. In 2016 it moved its head office to "
                  "Port Ellery.", "Harrow Quay Analytics profile", "n2")


def test_two_hops_through_a_linking_sentence(reader):
    question = "In which town is the head office of the company where Tobias did his summer internship?"
    reading = reader.read(question, [NEWSLETTER, COMPANY])
    assert reading is not None and reading.short == "Port Ellery"
    assert reading.cited == (1, 2) and "Harrow Quay Analytics" in reading.link
    assert "[1]" in reading.answer and "[2]" in reading.answer and len(reading.answer) <= 600


def test_the_second_hop_searches_for_the_passage_it_needs(reader):
    question = "In which town is the head office of the company where Tobias did his summer internship?"
    searched = []

    def search(query):
        searched.append(query)
        return [COMPANY]

    reading = reader.read(question, [NEWSLETTER], search)
    assert searched and searched[0].startswith("Harrow Quay Analytics")
    assert reading is not None and reading.short == "Port Ellery" and reading.evidence[-1] == COMPANY
    assert reader.read(question, [NEWSLETTER]) is None  # without a search, nothing to read it from
