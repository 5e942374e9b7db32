"""The reader on news-style Chinese evidence: counts, amounts told twice, rates, parts of a year,
mascots and other quoted names, lists of people, and sentences that quote or ask."""

import pytest

from agent.degenerate import degenerate
from agent.question import analyse
from agent.spans import spans
from agent.verification import Verifier
from memory.parts import Passage
from tests.turn_support import read


@pytest.mark.parametrize(("question", "texts", "short"), [
    pytest.param("青城运动会挪威运动员数量",
                 ["青城运动会开幕在即，挪威代表团将派出60名运动员参赛，包括28名女运动员和32名男运动员。"],
                 "60名", id="a count is the one right before what is counted"),
    pytest.param("2023年国庆档的总票房是多少",
                 ["据统计，2023年国庆档总票房已突破27亿。",
                  "2023年国庆档总票房为27.34亿元，观影人次6568万。"],
                 "27.34亿元", id="amounts that agree once rounded give the precise one"),
    pytest.param("2023年上半年江北省经济增长率是多少",
                 ["2023年江北省全年经济同比增长4.1%，总量首次突破5万亿元。",
                  "江北省统计局发布：2023年上半年全省地区生产总值25630亿元，同比增长5.6%。"],
                 "5.6%", id="a growth rate is the percentage and of the period asked"),
    pytest.param("2023年一季度中国粮食进口量是多少",
                 ["海关总署数据显示，2023年一季度我国粮食进口量4050万吨。"],
                 "4050万吨", id="chinese news say we for china"),
    pytest.param("青城马拉松吉祥物是谁", ["青城马拉松吉祥物“跑跑”以熊猫为原型设计，身披赛道配色。"],
                 "跑跑", id="a quoted name after the asked role answers"),
    pytest.param("青城马拉松吉祥物叫什么",
                 ["2024年3月，青城马拉松吉祥物“跑跑”和青城半程马拉松吉祥物“跳跳”同日亮相。"],
                 "跑跑", id="of two quoted names the one led by the question words"),
    pytest.param("青城马拉松吉祥物是谁",
                 ["青城马拉松组委会主席韩明远、副主席林晓和运动员代表周航共同为吉祥物揭幕。",
                  "青城马拉松吉祥物“跑跑”以熊猫为原型设计。"],
                 "跑跑", id="a sentence naming many people does not veto one that answers"),
    pytest.param("2025年青城论坛举办的地点是哪里",
                 ["作为2025年青城论坛的举办地，临江市带着“数字之城”的新标签迎来各方来宾。"],
                 "临江市", id="a clause naming the role makes the next clause subject the answer"),
    pytest.param("青城联赛2024赛季开赛时间是什么时候？",
                 ["青城联赛本赛季比赛2024年4月6日开始，11月30日结束。"],
                 "2024年4月6日", id="a date in the year the question names is still an answer"),
    pytest.param("2024年青城市长选举谁当选",
                 ["Mar 4, 2024 ... 韩明远当选青城市长---青城市长选举结果3日揭晓，现任副市长林晓落选。"],
                 "韩明远", id="the date line of a snippet dates its sentence"),
    pytest.param("2024年青城电影节最佳影片奖",
                 ["在2024年青城电影节颁奖典礼中，电影《远山》获得最佳影片，林晓获得最佳导演。"],
                 "远山", id="an award may be named without its last character"),
    pytest.param("What colour is the Marlin-7 drone painted?",
                 ["The Marlin-7 drone is painted bright yellow so divers can see it."],
                 "yellow", id="a colour question is answered by a colour"),
    pytest.param("青城大桥的桥身是什么颜色？", ["青城大桥全长1.2公里，桥身为红色，夜间有灯光秀。"],
                 "红色", id="a chinese colour question is answered by a colour"),
])
def test_the_short_answer(question, texts, short):
    reading = read(question, *texts)
    assert reading is not None and reading.short == short


@pytest.mark.parametrize(("question", "texts"), [
    pytest.param("谁枪击了韩明远？", ["回忆起1986年，时任市长林晓被枪杀，全城震惊。"],
                 id="who did it is not the one it was done to in other words"),
    pytest.param("2024年青城读书节的主题是什么？", ["2024年青城读书节的主题为"],
                 id="a sentence that stops before its value is no answer"),
    pytest.param("青城马拉松将在哪里举行？",
                 ["青城市体育局12日为青城马拉松举行新闻发布会，宣布赛事筹备完成。"],
                 id="who holds an event is not where it is held"),
])
def test_declined(question, texts):
    assert read(question, *texts) is None


def test_words_that_say_what_is_asked_are_no_focus_and_an_asked_role_is_no_name():
    assert "数量" not in analyse("青城运动会挪威运动员数量").focus  # it says what is asked, like 多少
    question = analyse("青城马拉松的吉祥物叫什么")
    assert "吉祥物" in question.focus and "吉祥物" not in question.names


def test_where_an_event_is_held_is_the_place_after_at():
    reading = read("青城马拉松将在哪里举行？", "第五届青城马拉松将于4月6日在临江市滨湖公园举行。")
    assert reading is not None and reading.short in ("临江市", "滨湖公园", "临江市滨湖公园")


def test_a_sentence_that_asks_answers_nothing():
    reading = read("青城X9的处理器是什么",
                   "青城X9是今年最受关注的手机，很多用户想要知道它使用了什么处理器。",
                   "青城X9采用的是天枢9000处理器，主频3.2GHz。")
    assert reading is not None and "天枢9000" in reading.sentence


def test_a_quoted_list_is_no_loop_but_a_loop_still_is():
    listed = ("32. 本届龙舟赛共有32支队伍参赛，分别是公开组22人龙舟8支队伍、公开组12人龙舟8支队伍、"
              "邀请组12人龙舟8支队伍、乡镇组12人龙舟8支队伍。")
    assert degenerate(listed) == "repeated n-gram"  # as text a model wrote
    assert degenerate(listed, quoted=True) is None  # as the reader's quote of the evidence
    loop = "星河科技公司简介是星河科技公司简介，" * 6
    assert degenerate(loop, quoted=True) is not None


def test_a_sentence_quoted_word_for_word_is_supported_by_its_passage():
    passage = Passage("青城X9发布会回顾。青城X9采用的是天枢9000处理器，NPU算力升级到了32 TOPS，"
                      "X1大核频率3.0 GHz。", "news 1", "c1")
    claim = "青城X9采用的是天枢9000处理器，NPU算力升级到了32 TOPS，X1大核频率3.0 GHz。"
    quoted = Verifier().verify(claim, (passage,), question="青城X9的处理器是什么", quoted=True)
    assert quoted.grounded and quoted.sentences[0].citations == (1,)
    invented = Verifier().verify("青城X9采用的是天枢8000处理器，NPU算力升级到了64 TOPS。", (passage,),
                                 question="青城X9的处理器是什么", quoted=True)
    assert not invented.grounded


def test_a_name_jieba_cut_short_is_read_whole():
    assert [s.text for s in spans("交给第一棒火炬手罗致焕，他是首位世界冠军。", "person")] == ["罗致焕"]
    assert [s.text for s in spans("张三说，比赛推迟了。", "person")] == ["张三"]
