"""What the English and Chinese fact rules understand beyond the basics (chatter, times,
modifiers, jobs, changes, new names) and what they never take for a fact (questions, requests,
conditions, plans, what others said)."""

from __future__ import annotations

import pytest

from memory.fact_extract import RuleFactExtractor
from memory.fact_rules import Person
from memory.fact_text import kin_noun
from memory.fact_vocab import RELATIVES_EN, RELATIVES_ZH, is_occupation_en, is_occupation_zh, is_single_valued

U = "user"


def triples(text: str, *earlier: str, people: tuple[Person, ...] = ()) -> list[tuple[str, str, str]]:
    return [(t.subject, t.relation, t.object)
            for t in RuleFactExtractor().extract(text, context=earlier, people=people)]


FILLERS = {
    "Big news: I moved to Leeds.": [(U, "lives_in", "Leeds")],
    "Guess what, my sister Lin lives in Hangzhou.": [
        (U, "has_sister", "Lin"), ("Lin", "lives_in", "Hangzhou")],
    "As I said, I work at Initech.": [(U, "works_at", "Initech")],
    "As I told you, I live in Oslo.": [(U, "lives_in", "Oslo")],
    "Just so you know, I am allergic to peanuts.": [(U, "allergic_to", "peanuts")],
    "FYI: I work at Google.": [(U, "works_at", "Google")],
    "Update: I live in Rome now.": [(U, "lives_in", "Rome")],
    "Oh and I like tea.": [(U, "likes", "tea")],
    "You know, I live in Leeds.": [(U, "lives_in", "Leeds")],
    "Remember that I live in Paris.": [(U, "lives_in", "Paris")],  # asked to remember: a fact
    "I'm driving up to see him this weekend.": [],
    "告诉你，我住在杭州。": [(U, "lives_in", "杭州")],
    "跟你说，我在华为上班。": [(U, "works_at", "华为")],
    "再说一遍，我住在北京。": [(U, "lives_in", "北京")],
    "对了，我喜欢猫。": [(U, "likes", "猫")],
    "顺便说一下，我对花生过敏。": [(U, "allergic_to", "花生")],
    "我跟你说过，我住在上海。": [(U, "lives_in", "上海")],
    "好消息：我搬到了深圳。": [(U, "lives_in", "深圳")],
    "你知道吗，我搬到了杭州。": [(U, "lives_in", "杭州")],
    "帮我记住我住在北京。": [(U, "lives_in", "北京")],
}
TIMES = {
    "Ilse moved to Carrickfell last month.": [("Ilse", "lives_in", "Carrickfell")],
    "Last year I moved to Leeds.": [(U, "lives_in", "Leeds")],
    "Monday I moved to Leeds.": [(U, "lives_in", "Leeds")],
    "I've been working at Initech for three years.": [(U, "works_at", "Initech")],
    "I started working at Initech last month.": [(U, "works_at", "Initech")],
    "I'm moving to Paris next month.": [],  # the future is not a current fact
    "I will move to Paris next year.": [],
    "I live in Leeds and will move to York next year.": [(U, "lives_in", "Leeds")],
    "我上个月搬到了云汐市": [(U, "lives_in", "云汐市")],
    "我去年开始在华为上班": [(U, "works_at", "华为")],
    "我前几天刚搬到杭州": [(U, "lives_in", "杭州")],
    "我在白鹭镇住了五年": [(U, "lives_in", "白鹭镇")],
    "去年我搬到了杭州。": [(U, "lives_in", "杭州")],
    "我三年前搬到杭州。": [(U, "lives_in", "杭州")],
    "我1990年出生在杭州。": [(U, "born_in", "杭州")],
    "我下个月要搬到杭州": [],
    "我下个月搬到杭州": [],
    "下个月，我搬到杭州。": [],
    "我去年住在杭州。": [],  # a state in the past: maybe not now
    "我明年要结婚了。": [],
}
MODIFIERS = {
    "I have a new colleague called Marguerite Olawale.": [(U, "has_colleague", "Marguerite Olawale")],
    "My new boss Ada works at IBM.": [(U, "has_boss", "Ada"), ("Ada", "works_at", "IBM")],
    "My older sister Mei lives in Rome.": [(U, "has_sister", "Mei"), ("Mei", "lives_in", "Rome")],
    "My little brother Bo is 7 years old.": [(U, "has_brother", "Bo"), ("Bo", "age", "7")],
    "My best friend Tom lives in Leeds.": [(U, "has_friend", "Tom"), ("Tom", "lives_in", "Leeds")],
    "My sister-in-law Ruth lives in Leeds.": [
        (U, "has_sister_in_law", "Ruth"), ("Ruth", "lives_in", "Leeds")],
    "My fiancée Ana works at IBM.": [(U, "has_fiancee", "Ana"), ("Ana", "works_at", "IBM")],
    "My niece is called Ada.": [(U, "has_niece", "Ada")],
    "I have a classmate named Jo.": [(U, "has_classmate", "Jo")],
    "My ex-boss lives in Paris.": [],  # not the boss of now
    "我有个大学室友叫祁晚晴": [(U, "has_roommate", "祁晚晴")],
    "我的高中同学小李住在成都": [(U, "has_classmate", "小李"), ("小李", "lives_in", "成都")],
    "我表哥骆星河在青枫市工作": [(U, "has_cousin", "骆星河"), ("骆星河", "works_at", "青枫市")],
    "我有一个表妹叫小雨。": [(U, "has_cousin", "小雨")],
    "我的新同事叫王芳。": [(U, "has_colleague", "王芳")],
    "我大姐住在广州。": [("用户的姐姐", "lives_in", "广州")],
    "我婆婆住在成都。": [("用户的婆婆", "lives_in", "成都")],
}
JOBS = {
    "My uncle Bartholomew is a carpenter in Hollin Cross.": [
        (U, "has_uncle", "Bartholomew"), ("Bartholomew", "works_as", "carpenter")],
    "I am a software engineer at Google.": [(U, "works_as", "software engineer"), (U, "works_at", "Google")],
    "My sister is a student at Oxford.": [("user's sister", "studies_at", "Oxford")],
    "Sarah is a nurse.": [("Sarah", "works_as", "nurse")],
    "Tom is my best friend.": [(U, "has_friend", "Tom")],
    "Lin is a good friend.": [],
    "He is a good cook.": [],
    "I'm a vegetarian.": [],
    "I am a big fan of jazz.": [],
    "My brother is a retired teacher.": [],
    "I'm happy.": [],
    "我妹妹叫林。她现在是一名儿科医生": [(U, "has_sister", "林"), ("林", "works_as", "儿科医生")],
    "我是老师。": [(U, "works_as", "老师")],
    "我是工人。": [(U, "works_as", "工人")],
    "我是杭州人。": [(U, "hometown", "杭州")],
    "我在腾讯当程序员。": [(U, "works_at", "腾讯"), (U, "works_as", "程序员")],
    "我是一个好人。": [],
    "我是一个很开心的人。": [],
    "我是个好厨师。": [],
}
# 吃/喝 after 喜欢/爱/讨厌 go (the liked thing is the food or drink); other verbs stay ("看电影").
PREFERENCES = {
    "I also love long walks by the sea": [(U, "likes", "long walks by the sea")],
    "夏天我还特别爱喝酸梅汤": [(U, "likes", "酸梅汤")],
    "我喜欢吃杨桃。": [(U, "likes", "杨桃")],
    "我讨厌吃香菜。": [(U, "dislikes", "香菜")],
    "我喜欢看电影。": [(U, "likes", "看电影")],
    "我的爱好是游泳和看书。": [(U, "likes", "游泳"), (U, "likes", "看书")],
    "我不吃香菜。": [],  # may be a diet, not a dislike
}
AGES = {
    "I'm 30.": [(U, "age", "30")],
    "My daughter Mia is eight.": [(U, "has_daughter", "Mia"), ("Mia", "age", "8")],
    "I am not 30.": [],
    "我女儿今年五岁。": [("用户的女儿", "age", "5")],
    "我叫李明，今年二十五岁。": [(U, "name", "李明"), (U, "age", "25")],
}
NAMES = {
    "Lin moved to Shanghai.": [("Lin", "lives_in", "Shanghai")],
    "Tom Baker works at Initech.": [("Tom Baker", "works_at", "Initech")],
    "Tom Baker's favourite colour is blue.": [("Tom Baker", "favourite_color", "blue")],
    "Lin's birthday is 3 May.": [("Lin", "birthday", "3 May")],
    "I live in Leeds and Tom works at IBM.": [(U, "lives_in", "Leeds"), ("Tom", "works_at", "IBM")],
    "Mum lives in Leeds.": [("user's mum", "lives_in", "Leeds")],
    # a new name is no antecedent for "she"
    "My sister Lin lives in Rome. Tom works at IBM. She likes tea.": [
        (U, "has_sister", "Lin"), ("Lin", "lives_in", "Rome"), ("Tom", "works_at", "IBM"),
        ("Lin", "likes", "tea")],
    "The company moved to Berlin.": [],
    "Paris is lovely.": [],
    "Everyone lives in Leeds.": [],
    "Just moved to Leeds!": [],
    "May moved to Leeds.": [],  # a month
}
CHANGES = {
    "I now live in Leeds.": [(U, "lives_in", "Leeds")],
    "I have moved to Leeds.": [(U, "lives_in", "Leeds")],
    "I relocated to Leeds.": [(U, "lives_in", "Leeds")],
    "I no longer work at Initech.": [(U, "not_works_at", "Initech")],
    "I changed jobs to Initech.": [(U, "works_at", "Initech")],
    "I got a new job at Initech.": [(U, "works_at", "Initech")],
    "I am now a teacher.": [(U, "works_as", "teacher")],
    "I am no longer a teacher.": [(U, "not_works_as", "teacher")],
    "I changed my name to Bob.": [(U, "name", "Bob")],
    "我现在住在上海": [(U, "lives_in", "上海")],
    "我不再在华为工作了": [(U, "not_works_at", "华为")],
    "我换工作到了腾讯": [(U, "works_at", "腾讯")],
    "我跳槽到了腾讯。": [(U, "works_at", "腾讯")],
    "我入职了字节跳动。": [(U, "works_at", "字节跳动")],
    "我把名字改成了小明": [(U, "name", "小明")],
    "我的名字改成了小明。": [(U, "name", "小明")],
    "我改名叫小明了。": [(U, "name", "小明")],
}
NEVER = [
    # questions
    "Where does Lin live", "Do I live in Paris", "Don't I live in Paris?", "Can you remember where I live?",
    "I live in Leeds, what about you?", "What if I moved to Rome?",
    "我妹妹住在哪里？", "我妹妹住在哪里", "我住在北京吗", "我是不是住在北京", "我有没有说过我住在北京",
    "你记得我住在哪里吗", "我住在北京，你呢？", "我妹妹几岁",
    # requests
    "Tell me where I live", "Please tell me where my sister works.", "请告诉我我住在哪里",
    "帮我订一张去上海的票",
    # conditions
    "If I moved to Paris, I would be happy.", "如果我搬到上海，我会很开心", "假如我住在上海，就好了",
    "要是我搬到上海就好了", "我搬到上海的话，会很开心",
    # wishes and plans
    "I want to live in Tokyo", "I might move to Tokyo.", "I'd love to live in Rome.",
    "I would like to work at Google.",
    "I don't want to move to Paris.", "I'm going to move to Berlin.", "I used to work at Google.",
    "我想搬到上海", "我打算搬到上海", "我准备在腾讯工作", "我可能会搬到深圳",
    # what others said, or a guess
    "My boss said he lives in Paris", "I heard Lin moved to Paris.", "I think I'm allergic to cats.",
    "他说他住在上海", "我妹妹说她住在上海", "我听说他搬到上海了", "我觉得我喜欢猫",
]
PARTLY = {
    "I live in Rome, but if I moved to Paris I'd be happier.": [(U, "lives_in", "Rome")],
    "My sister Lin said she moved to Paris.": [(U, "has_sister", "Lin")],
    "我住在北京，如果搬到上海就好了": [(U, "lives_in", "北京")],
    "我住在北京，我妹妹说她住在上海": [(U, "lives_in", "北京")],
}
CLEAN = {
    "我住在杭州。。": [(U, "lives_in", "杭州")],
    "我搬到上海啦": [(U, "lives_in", "上海")],
    "我在腾讯上班啦！": [(U, "works_at", "腾讯")],
    "我现在在一家创业公司上班。": [(U, "works_at", "创业公司")],
    "I live in Wrenfield, that's right by the canal.": [(U, "lives_in", "Wrenfield")],
    "I live in Wrenfield that's right by the canal.": [(U, "lives_in", "Wrenfield")],
    "I live in Wrenfield right by the canal.": [(U, "lives_in", "Wrenfield")],
    "I work at the BBC.": [(U, "works_at", "BBC")],
    "I live in The Hague.": [(U, "lives_in", "The Hague")],
    "I work as a nurse.": [(U, "works_as", "nurse")],
}
TABLES = {"fillers": FILLERS, "times": TIMES, "modifiers": MODIFIERS, "jobs": JOBS,
          "preferences": PREFERENCES, "ages": AGES, "names": NAMES, "changes": CHANGES,
          "partly": PARTLY, "clean": CLEAN}


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param(text, expected, id=f"{table}:{text}") for table, rows in TABLES.items()
    for text, expected in rows.items()])
def test_reads(text, expected):
    assert triples(text) == expected


@pytest.mark.parametrize("text", NEVER)
def test_never_a_fact(text):
    assert triples(text) == []


@pytest.mark.parametrize(("earlier", "said", "expected"), [
    # chatter gives nothing, a later clause about a person named before still counts
    (("My brother Caspian lives in Oslo.",),
     "I'm driving up to see him this weekend, and Caspian still lives in Wrenfield, right by the canal.",
     [("Caspian", "lives_in", "Wrenfield")]),
    (("My brother Caspian lives in Oslo.",), "Caspian lives in Wrenfield right by the canal.",
     [("Caspian", "lives_in", "Wrenfield")]),
    (("My sister Ilse lives in Tamsbury.",), "She's a nurse at St Mary's Hospital.",
     [("Ilse", "works_as", "nurse"), ("Ilse", "works_at", "St Mary's Hospital")]),
    (("My sister Ilse lives in Tamsbury.",), "Ilse has moved to Carrickfell.",
     [("Ilse", "lives_in", "Carrickfell")]),
    (("My sister Ilse lives in Tamsbury.",), "She is happy.", []),
    (("My sister Lin lives in Rome.",), "Her birthday is on 17 November.",
     [("Lin", "birthday", "17 November")]),
    (("My daughter is called Amy.",), "She is eight.", [("Amy", "age", "8")]),
    (("My daughter is called Amy.",), "She'll be six this year.", []),
    (("我哥哥叫波。",), "他的生日是3月14日", [("波", "birthday", "3月14日")]),
    (("我同事林住在杭州。",), "林是我的好朋友。", [(U, "has_friend", "林")]),
    (("我同事林住在杭州。",), "林说她搬到上海了。", []),
])
def test_reads_with_earlier_messages(earlier, said, expected):
    assert triples(said, *earlier) == expected


def test_a_person_known_from_memory_is_a_subject():
    caspian = Person("Caspian", "has_brother", "m", named=True, known=True)
    said = "I'm driving up to see him this weekend. Caspian still lives in Wrenfield, right by the canal."
    assert triples(said, people=(caspian,)) == [("Caspian", "lives_in", "Wrenfield")]
    assert triples("He is now a pharmacist.", people=(caspian,)) == [("Caspian", "works_as", "pharmacist")]


def test_vocabulary_of_relatives_and_jobs():
    assert RELATIVES_ZH["表姐"] == ("has_cousin", "f") and RELATIVES_ZH["堂弟"] == ("has_cousin", "m")
    assert RELATIVES_ZH["同学"][0] == "has_classmate" and RELATIVES_ZH["舅妈"] == ("has_aunt", "f")
    assert RELATIVES_ZH["伯伯"] == ("has_uncle", "m") and RELATIVES_EN["nephew"] == ("has_nephew", "m")
    assert RELATIVES_EN["stepmother"] == ("has_stepmother", "f") and RELATIVES_EN["fiancé"][0] == "has_fiance"
    assert kin_noun("has_cousin", True) == "表亲" and kin_noun("has_cousin", True, "我表妹小雨") == "表妹"
    assert is_single_valued("has_fiance") and not is_single_valued("has_cousin")
    assert all(map(is_occupation_en, ["nurse", "pharmacist", "carpenter"]))
    assert not any(map(is_occupation_en, ["friend", "fan", "vegetarian", "optimist", "person"]))
    assert all(map(is_occupation_zh, ["儿科医生", "程序员", "老师", "工人", "作家"]))
    assert not any(map(is_occupation_zh, ["好人", "新手", "会员", "大家", "家长"]))
