"""The "nothing relevant" gate, in English and Chinese."""

from __future__ import annotations

from agent.relevance import question_shape
from agent.verification import Verifier
from graph.embedding import HashEmbedder
from memory.parts import Passage


def passages(*texts: str) -> list[Passage]:
    return [Passage(t) for t in texts]


def test_chinese_passage_with_the_answer_is_kept_and_off_topic_ones_are_not():
    evidence = passages(
        "韩国首尔梨泰院发生踩踏事故，造成154人死亡。",
        "今年1月，印控克什米尔地区一座印度教寺庙发生踩踏事故，造成12人死亡。",
        "印控克什米尔地区发生一起交通事故，一辆巴士坠入深谷。",
    )
    assert Verifier(HashEmbedder()).relevant("印控克什米尔地区寺庙踩踏事故死亡人数", evidence) == (1,)


def test_the_year_in_the_question_must_be_in_the_passage():
    evidence = passages("按照2025年大兴机场旅客吞吐量7200万人次计算。",
                        "截至2021年12月31日，大兴机场年旅客吞吐量突破2500万人次。")
    assert Verifier().relevant("2021年北京大兴机场年旅客吞吐量", evidence) == (1,)


def test_a_date_question_needs_a_date_near_its_words():
    evidence = passages("香港第七届立法会议员宣誓仪式在立法会会议厅举行，国徽高悬。",
                        "2022年1月3日上午，香港特区第七届立法会议员宣誓仪式举行。")
    assert Verifier().relevant("第七届香港立法会议员宣誓仪式的时间", evidence) == (1,)


def test_english_question():
    evidence = passages("Bananas are rich in potassium.",
                        "The Eiffel Tower was completed in 1889 for the World's Fair.")
    assert Verifier().relevant("When was the Eiffel Tower completed?", evidence) == (1,)


def test_nothing_relevant_and_empty_inputs():
    assert Verifier().relevant("Who won the 2022 World Cup?", passages("Bananas are yellow.")) == ()
    assert Verifier().relevant("", passages("Bananas are yellow.")) == ()
    assert Verifier().relevant("Who won?", []) == ()


def test_question_shape():
    shape = question_shape("2021年香港GDP增长了多少？")
    assert shape.wants_number and not shape.wants_date
    assert 2021 in shape.numbers and "香港" in shape.key_terms
    assert question_shape("When was it built?").wants_date
