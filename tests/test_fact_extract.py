"""Facts from what users say: English and Chinese rules, and the JSON extractor for capable models."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.errors import ConfigError
from memory.fact_extract import (
    SINGLE_VALUED,
    FactExtractor,
    LLMFactExtractor,
    RuleFactExtractor,
    create_fact_extractor,
    parse_facts,
)
from memory.fact_text import describe
from memory.fact_vocab import is_single_valued, normalise_relation
from memory.facts import Triple
from memory.types import CompletionOptions, Message

U = "user"

ENGLISH = {
    "My sister Lin lives in Hangzhou.": [(U, "has_sister", "Lin"), ("Lin", "lives_in", "Hangzhou")],
    "I live in Beijing": [(U, "lives_in", "Beijing")],
    "I moved to Shanghai last year.": [(U, "lives_in", "Shanghai")],
    "I've just moved back to New York City with my wife.": [(U, "lives_in", "New York City")],
    "My name is Ada Lovelace.": [(U, "name", "Ada Lovelace")],
    "I work at Google, and I work as an engineer.": [(U, "works_at", "Google"), (U, "works_as", "engineer")],
    "I like cats and dogs": [(U, "likes", "cats"), (U, "likes", "dogs")],
    "I love to swim, read and cook!": [(U, "likes", "swim"), (U, "likes", "read"), (U, "likes", "cook")],
    "I hate cilantro.": [(U, "dislikes", "cilantro")],
    "I don't like tea.": [(U, "dislikes", "tea")],
    "I don’t like coffee anymore.": [(U, "not_likes", "coffee")],
    "I no longer live in Beijing.": [(U, "not_lives_in", "Beijing")],
    "My favourite colour is blue.": [(U, "favourite_color", "blue")],
    "My favorite ice cream flavor is mint": [(U, "favourite_ice_cream_flavor", "mint")],
    "My birthday is May 1, 1990.": [(U, "birthday", "May 1, 1990")],
    "I was born in Ohio and I'm 30 years old.": [(U, "born_in", "Ohio"), (U, "age", "30")],
    "I'm from Lyon.": [(U, "hometown", "Lyon")],
    "I study at Tsinghua University.": [(U, "studies_at", "Tsinghua University")],
    "I speak English, French and Chinese.": [(U, "speaks", "English"), (U, "speaks", "French"),
                                             (U, "speaks", "Chinese")],
    "I'm allergic to peanuts.": [(U, "allergic_to", "peanuts")],
    "I have a sister named Lin.": [(U, "has_sister", "Lin")],
    "My sister, Lin, lives in Paris.": [(U, "has_sister", "Lin"), ("Lin", "lives_in", "Paris")],
    "my sister lin lives in hangzhou and works at alibaba": [
        (U, "has_sister", "lin"), ("lin", "lives_in", "hangzhou"), ("lin", "works_at", "alibaba")],
    "My sister lives in Hangzhou. Her name is Lin. She works at Alibaba.": [
        ("user's sister", "lives_in", "Hangzhou"), (U, "has_sister", "Lin"), ("Lin", "works_at", "Alibaba")],
    "My best friend Tom's birthday is June 3": [(U, "has_friend", "Tom"), ("Tom", "birthday", "June 3")],
    "My dog Max is allergic to chicken.": [(U, "has_dog", "Max"), ("Max", "allergic_to", "chicken")],
    "I'm married to Sam.": [(U, "has_spouse", "Sam")],
    "I quit my job at Initech.": [(U, "not_works_at", "Initech")],
}
CHINESE = {
    "我妹妹林住在杭州。": [(U, "has_sister", "林"), ("林", "lives_in", "杭州")],
    "我住在北京": [(U, "lives_in", "北京")],
    "我搬到上海了": [(U, "lives_in", "上海")],
    "我叫王小明。": [(U, "name", "王小明")],
    "我在阿里巴巴工作": [(U, "works_at", "阿里巴巴")],
    "我在医院当护士": [(U, "works_at", "医院"), (U, "works_as", "护士")],
    "我是一名医生": [(U, "works_as", "医生")],
    "我喜欢猫和狗": [(U, "likes", "猫"), (U, "likes", "狗")],
    "我很喜欢吃火锅": [(U, "likes", "火锅")],  # after 喜欢/爱, 吃 and 喝 go: the food is what is liked
    "我讨厌香菜": [(U, "dislikes", "香菜")],
    "我不喜欢咖啡了": [(U, "not_likes", "咖啡")],
    "我不再住在北京了": [(U, "not_lives_in", "北京")],
    "我最喜欢的颜色是蓝色": [(U, "favourite_color", "蓝色")],
    "我的生日是5月1日": [(U, "birthday", "5月1日")],
    "我出生于1990年5月1日": [(U, "birthday", "1990年5月1日")],
    "我出生在杭州": [(U, "born_in", "杭州")],
    "我是杭州人": [(U, "hometown", "杭州")],
    "我今年30岁": [(U, "age", "30")],
    "我对花生过敏": [(U, "allergic_to", "花生")],
    "我有一个妹妹叫林": [(U, "has_sister", "林")],
    "我妹妹叫小红，她在北京上学。": [(U, "has_sister", "小红"), ("小红", "studies_at", "北京")],
    "我的猫叫咪咪": [(U, "has_cat", "咪咪")],
    "我妹妹林住在杭州，她在阿里巴巴工作。": [
        (U, "has_sister", "林"), ("林", "lives_in", "杭州"), ("林", "works_at", "阿里巴巴")],
    "我妹妹住在杭州。": [("用户的妹妹", "lives_in", "杭州")],
    "我现在住在上海，以前住在北京。": [(U, "lives_in", "上海")],  # the past is not a current fact
}
NOTHING = [
    "Where do I live?", "Do you like cats?", "What is the capital of France?", "I used to live in Paris.",
    "We live in Berlin.", "I like", "我叫了外卖", "我们住在北京", "你喜欢猫吗？", "",
]


def triples(text: str) -> list[tuple[str, str, str]]:
    return [(t.subject, t.relation, t.object) for t in RuleFactExtractor().extract(text)]


@pytest.mark.parametrize("text", ENGLISH)
def test_english(text):
    assert triples(text) == ENGLISH[text]


@pytest.mark.parametrize("text", CHINESE)
def test_chinese(text):
    assert triples(text) == CHINESE[text]


@pytest.mark.parametrize("text", NOTHING)
def test_nothing_to_remember(text):
    assert triples(text) == []


def test_pronouns_mean_the_person_of_their_gender_mentioned_last():
    assert triples("My sister is called Lin and my mother is called Mei. She lives in Rome.") == [
        (U, "has_sister", "Lin"), (U, "has_mother", "Mei"), ("Mei", "lives_in", "Rome")]
    assert triples("My sister lives in Rome. He works at IBM.") == [("user's sister", "lives_in", "Rome")]
    assert triples("My brother Bo is called Bob. He lives in Oslo.")[-1] == ("Bo", "lives_in", "Oslo")
    assert triples("我姐姐林和我哥哥波。他住在杭州。") == []  # no clause reads as a fact
    assert triples("我哥哥叫波。他住在杭州。") == [(U, "has_brother", "波"), ("波", "lives_in", "杭州")]


WORDS = st.sampled_from(["I", "my", "sister", "Lin", "lives", "in", "like", "and", "she", "'s", "name",
                         "is", ",", ".", "我", "妹妹", "林", "住在", "喜欢", "她", "叫", "，", "。", "不",
                         "了", "x"])


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=60), st.lists(WORDS, max_size=15).map(" ".join)))
def test_any_text_gives_well_formed_triples(text):
    for t in RuleFactExtractor().extract(text):
        assert t.subject.strip() and t.relation and t.object.strip() and t.text
        assert t.subject != t.object


def test_each_triple_keeps_its_sentence_and_mixed_languages_work():
    found = RuleFactExtractor().extract("Hi there! My sister Lin lives in Hangzhou. 她在阿里巴巴工作。")
    assert [(t.object, t.text) for t in found] == [
        ("Lin", "My sister Lin lives in Hangzhou."), ("Hangzhou", "My sister Lin lives in Hangzhou."),
        ("阿里巴巴", "她在阿里巴巴工作。")]
    assert isinstance(RuleFactExtractor(), FactExtractor)


def test_vocabulary():
    assert {"lives_in", "works_at", "name", "birthday"} <= SINGLE_VALUED
    assert is_single_valued("favourite_color") and not is_single_valued("likes")
    assert not is_single_valued("has_sister") and is_single_valued("has_mother")
    assert normalise_relation("Favorite Colour") == "favourite_color"
    assert normalise_relation(" Lives-In ") == "lives_in" and normalise_relation("!!") is None
    assert describe("user", "lives_in", "Hangzhou") == "The user lives in Hangzhou."
    assert describe("user's sister", "works_at", "IBM") == "The user's sister works at IBM."
    assert describe("user", "has_sister", "Lin") == "Lin is the user's sister."
    assert describe("user", "favourite_color", "蓝色") == "用户最喜欢的颜色是蓝色。"
    assert describe("林", "lives_in", "杭州") == "林住在杭州。"


# ---- the model extractor -------------------------------------------------------------------
class ScriptedModel:
    """A MemoryModel that answers from a script and records what it was asked."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.asked: list[Sequence[Message]] = []

    def count_tokens(self, messages: Sequence[Message]) -> int:
        return sum(len(m.content) for m in messages)

    def complete(self, messages: Sequence[Message], options: CompletionOptions) -> str:
        self.asked.append(messages)
        return self.answers.pop(0)


GOOD = ('{"facts": [{"subject": "user", "relation": "has_sister", "object": "Lin"}, '
        '{"subject": "Lin", "relation": "Lives In", "object": "Hangzhou"}]}')


def test_model_extractor_reads_json_and_grounds_it():
    model = ScriptedModel(GOOD)
    found = LLMFactExtractor(model).extract("My sister Lin lives in Hangzhou. I like tea.")
    assert found == [Triple(U, "has_sister", "Lin", "My sister Lin lives in Hangzhou."),
                     Triple("Lin", "lives_in", "Hangzhou", "My sister Lin lives in Hangzhou.")]
    assert model.asked[0][0].role == "system" and "JSON" in model.asked[0][0].content


@pytest.mark.parametrize("answer", [
    f"Sure! Here are the facts:\n```json\n{GOOD}\n```\nAnything else?",
    GOOD.removeprefix('{"facts": ').removesuffix("}"),  # a bare list
])
def test_model_extractor_tolerates_wrapping(answer):
    found = LLMFactExtractor(ScriptedModel(answer)).extract("My sister Lin lives in Hangzhou.")
    assert [(t.subject, t.relation, t.object) for t in found] == [
        (U, "has_sister", "Lin"), ("Lin", "lives_in", "Hangzhou")]


@pytest.mark.parametrize("answer", [
    "I could not find any facts.", "{not json", '{"facts": "none"}', '{"facts": [1, null, "x"]}',
    '{"facts": [{"subject": "user", "relation": "lives_in", "object": 3}]}',
    '{"facts": [{"subject": "user", "relation": "lives_in", "object": "Paris"}]}',  # not in the text
    '{"facts": [{"subject": "Bob", "relation": "likes", "object": "tea"}]}',  # Bob is not named
    '{"facts": [{"subject": "user", "relation": "???", "object": "tea"}]}', "[]", "null",
])
def test_model_extractor_never_fails_on_bad_output(answer):
    assert LLMFactExtractor(ScriptedModel(answer)).extract("I like tea and I live in Rome.") == []


def test_model_extractor_in_chinese():
    answer = '{"facts": [{"subject": "我", "relation": "lives_in", "object": "杭州"}]}'
    assert parse_facts(answer, "我住在杭州。") == [Triple(U, "lives_in", "杭州", "我住在杭州。")]
    model = ScriptedModel()
    assert LLMFactExtractor(model).extract("   ") == [] and model.asked == []


def test_extractor_by_name():
    assert isinstance(create_fact_extractor("rules"), RuleFactExtractor)
    assert isinstance(create_fact_extractor("llm", ScriptedModel()), LLMFactExtractor)
    with pytest.raises(ConfigError, match="EXTRACTOR=rules"):
        create_fact_extractor("llm")
    with pytest.raises(ConfigError, match="rules or llm"):
        create_fact_extractor("spacy")
