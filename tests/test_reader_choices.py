"""Which value the reader picks when a sentence or the evidence holds several (en, zh), and how a
Chinese question's words are cut the way the evidence writes them."""

import pytest

from agent.answer_check import focused_answer
from agent.question import analyse, answer_type
from agent.question_fit import fit_to
from agent.reader import Reader
from agent.span_choice import address_heads, fits_the_question, same_value
from agent.spans import spans
from agent.word_meaning import WordMeaning
from memory.parts import Passage
from tests.turn_support import read


def test_a_name_followed_by_its_address_is_the_name():
    reading = read("Which hotel are Mei and Jonah staying at for the first two nights?",
                   "Trip plan for Mei and Jonah. Check in at The Gull & Lantern, Harbour Row, Kelsey Bay. "
                   "Room 6, sea view, two nights.")
    assert reading is not None and reading.short == "The Gull & Lantern"


def test_a_list_of_names_is_not_an_address():
    sentence = "We stayed at Gull House, Anchor Inn and Rook Lodge."
    found = tuple(spans(sentence, "name"))
    heads = address_heads(analyse("Which hotel did they stay at?"), sentence, found)
    assert len(found) >= 2 and heads == found


def test_a_count_in_a_chinese_question_picks_the_place_of_those_nights():
    reading = read("在雾川的头两晚住在哪？",
                   "雾川行程：入住“听溪山居”民宿，住两晚，房间号203。退房后换到古镇里的“半闲居”客栈住最后一晚。")
    assert reading is not None and reading.short == "听溪山居"


def test_the_value_after_the_year_asked_for():
    reading = read("2022年高考报名人数是多少？",
                   "根据教育部公布的数据，2019年高考报名人数1031万，2020年1071万，2021年1078万，2022年1193万。")
    assert reading is not None and reading.short == "1193万"


def test_a_change_against_last_year_leaves_the_value_absolute():
    reading = read("2021年全国粮食产量是多少？",
                   "2021年，全国粮食产量68285万吨，比上年增加1336万吨，增长2.0%。")
    assert reading is not None and reading.short == "68285万吨"


def test_a_value_relative_to_another_is_still_not_read():
    reading = read("学生登钟鼓楼要花多少钱？", "钟鼓楼：登楼门票20元，学生半价。")
    assert reading is None


def test_a_foreign_name_written_with_a_middle_dot_is_one_person():
    assert [s.text for s in spans("荷兰选手凯尔·内斯获得金牌，打破奥运纪录。", "person")] == ["凯尔·内斯"]
    both = "选手安娜·谢尔巴科娃、亚历山德拉·特鲁索娃包揽了金牌和银牌。"
    assert [s.text for s in spans(both, "person")] == \
        ["安娜·谢尔巴科娃", "亚历山德拉·特鲁索娃"]


def test_the_title_asked_for_is_not_its_holder():
    assert read("2022年欧冠冠军是谁？", "2022年欧冠比赛中，卫冕冠军切尔西被淘汰。") is None


def test_more_passages_agreeing_outvote_one_that_disagrees():
    question = "澳大利亚第31任总理是谁？"
    agreeing = "现任的澳大利亚第31任总理是工党籍的安东尼·阿尔巴尼斯。"
    other = "澳大利亚第31任总理是工党领袖米克·杜兰特。"
    reading = read(question, agreeing, other, "澳大利亚第31任总理是安东尼·阿尔巴尼斯，他于5月23日宣誓就职。")
    assert reading is not None and reading.short == "安东尼·阿尔巴尼斯"
    assert read(question, agreeing, other) is None  # one against one: neither is trusted


@pytest.mark.parametrize(("a", "b", "same"), [
    ("1193万人", "1193万", True), ("2022", "2022年", True), ("1", "12", False), ("韩聪", "隋文静", False)])
def test_same_value(a, b, same):
    assert same_value(a, b) is same


def test_a_chinese_question_is_cut_as_the_evidence_writes_it():
    question = fit_to(analyse("汤臣倍健2022年上半年的营收为多少？"), "汤臣倍健：2022年上半年营收42.21亿元。")
    assert "营收" in question.focus and "收为" not in question.focus
    reading = read("汤臣倍健2022年上半年的营收为多少？",
                   "汤臣倍健半年报显示，2022年上半年营收42.21亿元，同比持平。")
    assert reading is not None and reading.short == "42.21亿元"
    assert focused_answer("42.21亿元", "汤臣倍健2022年上半年的营收为多少？", ["2022年上半年营收42.21亿元。"])


def test_a_cut_that_would_drop_a_meaningful_character_is_not_made():
    question = fit_to(analyse("2022年8月我国汽车出口量"), "中国汽车出口均价上涨至1.89万美元。")
    assert "出口量" in question.focus


def test_years_of_a_sentence_and_dates_in_english_months():
    assert answer_type("唐山烧烤店打人案件主犯被判多少年？") == "duration"
    assert [s.text for s in spans("Sep 23, 2022 ... 主犯被判有期徒刑24年。", "duration")] == ["24年"]
    assert spans("Sep 23, 2022 ... 主犯被判有期徒刑24年。", "number") == []


def test_an_extended_value_is_the_new_one():
    reading = read("How long is the Aerolux warranty if I register it?",
                   "Aerolux humidifier. The warranty is two years from purchase; register it on the support "
                   "site and the warranty is extended to three years.")
    assert reading is not None and reading.short == "three years"


@pytest.fixture(scope="module")
def minilm():
    from graph.embedding import SentenceTransformerEmbedder
    return SentenceTransformerEmbedder()


def test_a_focus_word_the_passage_says_in_other_words_is_not_absent(minilm):
    meaning = WordMeaning(minilm)
    question = analyse("How long is the warranty if I register within a month of buying it?")
    passage = "Warranty. The standard warranty is two years from the date of purchase."
    assert "buy" in meaning.covered(question, passage)
    assert meaning.covered(question, "The tank holds 4.2 litres of water.") == frozenset()
    assert WordMeaning(None).covered(question, passage) == frozenset()


def test_the_length_a_question_gives_is_not_the_answer(minilm):
    evidence = [Passage("Aerolux humidifier. The standard warranty is two years from the date of purchase. "
                        "Register the product within 30 days on the Aerolux support site to extend it to "
                        "three years.",
                        "Aerolux quick reference", "c1")]
    reading = Reader(minilm).read("If I register my Aerolux humidifier online within a month of buying it, "
                                  "how long is the warranty?", evidence)
    assert reading is not None and reading.short == "three years"


@pytest.mark.parametrize(("question", "sentence", "kept"), [
    ("2021年我国工业增加值增长了多少？", "2013年~2021年，装备制造业增加值年均分别增长9.2%和11.6%。", []),
    ("2022年全国粮食产量增长了多少？", "2022年，全国粮食产量比2021年增长0.5%。", ["0.5%"]),
    ("美团2022年第一季度营收是多少？",
     "美团2023年第一季度收入586.2亿元，同比2022年第一季度总收入462.7亿元增长了26.7%。",
     ["462.7亿元"]),
    ("2022年春节档的总票房是多少？", "目前，预售票房是2022年同期的近90%，春节档票房67亿元。", ["67亿元"]),
    ("2021年城镇化率达到了多少？", "城镇化率增幅自2019年达到1.77个百分点后，2021年城镇化率达到64.72%。",
     ["64.72%"]),
    ("北京冬奥会男子500米速度滑冰金牌", "2022年北京冬奥会速度滑冰男子500米决赛由高亭宇夺冠。", ["高亭宇"]),
    ("谁枪击了安倍晋三？", "外交部发言人赵立坚向遭枪击的安倍晋三的家属表示慰问。", []),
])
def test_spans_that_cannot_answer_the_question_are_left_out(question, sentence, kept):
    asked = analyse(question)
    assert [s.text for s in fits_the_question(asked, sentence, spans(sentence, asked.answer_type))] == kept


def test_a_label_the_question_asks_for_is_read_as_written():
    assert analyse("卡塔尔世界杯德国队在哪个组").label == "组"
    assert analyse("Which gate does the flight to Oslo leave from?").answer_type == "name"
    assert analyse("应该在哪一站下车？").label == ""  # a station has a name, not a label
    reading = read("卡塔尔世界杯德国队在哪个组",
                   "卡塔尔世界杯抽签结束后，德国队、西班牙队、日本队和哥斯达黎加队所处的E组被称为“死亡之组”。")
    assert reading is not None and reading.short == "E组"
    reading = read("Which gate does the flight to Oslo leave from?",
                   "Travel plan. The flight to Oslo leaves from Gate 12 at 9:40; the Bergen flight leaves "
                   "from Gate 3.")
    assert reading is not None and reading.short == "Gate 12"
