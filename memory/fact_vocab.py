"""The small relation vocabulary of remembered facts, in English and Chinese.

Relations are snake_case: lives_in, works_at, works_as, studies_at, name, birthday, born_in,
hometown, age, likes, dislikes, speaks, allergic_to, favourite_<thing>, has_<relative>. A fact's
subject is ``"user"`` for the user; a relative without a name is ``"user's sister"`` (English)
or ``"用户的妹妹"`` (Chinese). ``not_<relation>`` in a triple retracts that fact.
"""

from __future__ import annotations

import re
import unicodedata

USER = "user"
RETRACT = "not_"

# noun -> (relation, "f" | "m" | ""): the gender lets "she"/"he" find their antecedent.
RELATIVES_EN: dict[str, tuple[str, str]] = {
    "sister": ("has_sister", "f"), "brother": ("has_brother", "m"),
    "mother": ("has_mother", "f"), "mom": ("has_mother", "f"), "mum": ("has_mother", "f"),
    "father": ("has_father", "m"), "dad": ("has_father", "m"),
    "wife": ("has_wife", "f"), "husband": ("has_husband", "m"), "spouse": ("has_spouse", ""),
    "son": ("has_son", "m"), "daughter": ("has_daughter", "f"),
    "child": ("has_child", ""), "kid": ("has_child", ""),
    "boyfriend": ("has_boyfriend", "m"), "girlfriend": ("has_girlfriend", "f"),
    "partner": ("has_partner", ""), "best friend": ("has_friend", ""), "friend": ("has_friend", ""),
    "boss": ("has_boss", ""), "manager": ("has_boss", ""),
    "colleague": ("has_colleague", ""), "coworker": ("has_colleague", ""),
    "grandmother": ("has_grandmother", "f"), "grandma": ("has_grandmother", "f"),
    "grandfather": ("has_grandfather", "m"), "grandpa": ("has_grandfather", "m"),
    "aunt": ("has_aunt", "f"), "uncle": ("has_uncle", "m"), "cousin": ("has_cousin", ""),
    "roommate": ("has_roommate", ""), "neighbour": ("has_neighbour", ""),
    "neighbor": ("has_neighbour", ""), "dog": ("has_dog", ""), "cat": ("has_cat", ""),
    "classmate": ("has_classmate", ""), "schoolmate": ("has_classmate", ""),
    "flatmate": ("has_roommate", ""), "housemate": ("has_roommate", ""),
    "workmate": ("has_colleague", ""), "supervisor": ("has_boss", ""), "granny": ("has_grandmother", "f"),
    "grandson": ("has_grandson", "m"), "granddaughter": ("has_granddaughter", "f"),
    "grandchild": ("has_grandchild", ""), "niece": ("has_niece", "f"), "nephew": ("has_nephew", "m"),
    "stepmother": ("has_stepmother", "f"), "stepmom": ("has_stepmother", "f"),
    "stepmum": ("has_stepmother", "f"), "stepfather": ("has_stepfather", "m"),
    "stepdad": ("has_stepfather", "m"), "stepsister": ("has_stepsister", "f"),
    "stepbrother": ("has_stepbrother", "m"), "stepson": ("has_stepson", "m"),
    "stepdaughter": ("has_stepdaughter", "f"), "mother-in-law": ("has_mother_in_law", "f"),
    "father-in-law": ("has_father_in_law", "m"), "sister-in-law": ("has_sister_in_law", "f"),
    "brother-in-law": ("has_brother_in_law", "m"), "fiancé": ("has_fiance", "m"),
    "fiance": ("has_fiance", "m"), "fiancée": ("has_fiancee", "f"), "fiancee": ("has_fiancee", "f"),
}
RELATIVES_ZH: dict[str, tuple[str, str]] = {
    "妹妹": ("has_sister", "f"), "姐姐": ("has_sister", "f"),
    "哥哥": ("has_brother", "m"), "弟弟": ("has_brother", "m"),
    "妈妈": ("has_mother", "f"), "母亲": ("has_mother", "f"),
    "爸爸": ("has_father", "m"), "父亲": ("has_father", "m"),
    "老婆": ("has_wife", "f"), "妻子": ("has_wife", "f"), "太太": ("has_wife", "f"),
    "老公": ("has_husband", "m"), "丈夫": ("has_husband", "m"), "爱人": ("has_spouse", ""),
    "儿子": ("has_son", "m"), "女儿": ("has_daughter", "f"), "孩子": ("has_child", ""),
    "男朋友": ("has_boyfriend", "m"), "女朋友": ("has_girlfriend", "f"),
    "好朋友": ("has_friend", ""), "朋友": ("has_friend", ""),
    "老板": ("has_boss", ""), "领导": ("has_boss", ""), "同事": ("has_colleague", ""),
    "奶奶": ("has_grandmother", "f"), "外婆": ("has_grandmother", "f"),
    "姥姥": ("has_grandmother", "f"), "爷爷": ("has_grandfather", "m"),
    "外公": ("has_grandfather", "m"), "姥爷": ("has_grandfather", "m"),
    "阿姨": ("has_aunt", "f"), "叔叔": ("has_uncle", "m"), "舅舅": ("has_uncle", "m"),
    "室友": ("has_roommate", ""), "邻居": ("has_neighbour", ""), "狗": ("has_dog", ""),
    "猫": ("has_cat", ""),
    # colloquial one-character forms: "我哥在北京工作"
    "姐": ("has_sister", "f"), "妹": ("has_sister", "f"), "哥": ("has_brother", "m"),
    "弟": ("has_brother", "m"), "哥们": ("has_friend", ""), "闺蜜": ("has_friend", "f"),
    "发小": ("has_friend", ""), "上司": ("has_boss", ""),
    # the first noun of a relation is the one fact sentences use: 表亲 says no age or sex
    "表亲": ("has_cousin", ""), "表哥": ("has_cousin", "m"), "表姐": ("has_cousin", "f"),
    "表弟": ("has_cousin", "m"), "表妹": ("has_cousin", "f"), "堂哥": ("has_cousin", "m"),
    "堂姐": ("has_cousin", "f"), "堂弟": ("has_cousin", "m"), "堂妹": ("has_cousin", "f"),
    "同学": ("has_classmate", ""), "舅妈": ("has_aunt", "f"), "姑姑": ("has_aunt", "f"),
    "姑妈": ("has_aunt", "f"), "姨妈": ("has_aunt", "f"), "大姨": ("has_aunt", "f"),
    "小姨": ("has_aunt", "f"), "婶婶": ("has_aunt", "f"), "伯母": ("has_aunt", "f"),
    "伯伯": ("has_uncle", "m"), "伯父": ("has_uncle", "m"), "姑父": ("has_uncle", "m"),
    "姨父": ("has_uncle", "m"), "孙子": ("has_grandson", "m"), "外孙": ("has_grandson", "m"),
    "孙女": ("has_granddaughter", "f"), "外孙女": ("has_granddaughter", "f"),
    "侄子": ("has_nephew", "m"), "外甥": ("has_nephew", "m"), "侄女": ("has_niece", "f"),
    "外甥女": ("has_niece", "f"), "岳母": ("has_mother_in_law", "f"),
    "丈母娘": ("has_mother_in_law", "f"), "婆婆": ("has_mother_in_law", "f"),
    "岳父": ("has_father_in_law", "m"), "公公": ("has_father_in_law", "m"),
    "嫂子": ("has_sister_in_law", "f"), "弟媳": ("has_sister_in_law", "f"),
    "姐夫": ("has_brother_in_law", "m"), "妹夫": ("has_brother_in_law", "m"),
    "继母": ("has_stepmother", "f"), "后妈": ("has_stepmother", "f"), "继父": ("has_stepfather", "m"),
    "未婚夫": ("has_fiance", "m"), "未婚妻": ("has_fiancee", "f"),
}
PETS = frozenset({"has_dog", "has_cat"})

SINGLE_VALUED = frozenset({
    "lives_in", "works_at", "works_as", "studies_at", "name", "birthday", "born_in", "hometown",
    "age", "has_mother", "has_father", "has_wife", "has_husband", "has_spouse", "has_partner",
    "has_boyfriend", "has_girlfriend", "has_boss", "has_fiance", "has_fiancee", "has_stepmother",
    "has_stepfather", "has_mother_in_law", "has_father_in_law",
})
OPPOSITES = {"likes": "dislikes", "dislikes": "likes"}

OBJECT_TYPES = {"lives_in": "place", "hometown": "place", "born_in": "place",
                "works_at": "organization", "studies_at": "organization"}

# Chinese words for "favourite X" -> X in the relation name.
FAVOURITE_ZH = {"颜色": "color", "食物": "food", "菜": "food", "电影": "movie", "书": "book",
                "运动": "sport", "音乐": "music", "歌": "song", "歌手": "singer", "城市": "city",
                "动物": "animal", "水果": "fruit", "饮料": "drink", "季节": "season",
                "作家": "author", "游戏": "game", "花": "flower", "国家": "country"}
_FAVOURITE_SPELLING = {"colour": "color", "favorite": "favourite"}

# Words (either language) that make a question about a relation, for recall.
RELATION_WORDS: dict[str, str] = {
    "lives_in": "live lives living lived where home moved move city 住在 住哪 哪里 哪儿 家在 搬到 城市",
    "works_at": "work works working job company employer office 工作 上班 公司 单位",
    "works_as": "job work profession occupation 工作 职业",
    "studies_at": "study studies school university college 学校 上学 大学 读书",
    "name": "name called 名字",
    "birthday": "birthday born 生日 出生",
    "born_in": "born birthplace where 出生 哪里",
    "hometown": "from hometown where 老家 来自 家乡 哪里",
    "age": "age old 年龄 多大 几岁",
    "likes": "like likes love loves enjoy hobby 喜欢 爱好",
    "dislikes": "hate hates dislike dislikes 讨厌 喜欢",
    "speaks": "speak speaks language languages 语言 会说",
    "allergic_to": "allergic allergy allergies 过敏",
    "favourite": "favourite favorite 最喜欢 喜欢",
    "has_spouse": "spouse wife husband married 爱人 结婚",
}
RELATIVE_RELATIONS = frozenset(r for r, _ in (*RELATIVES_EN.values(), *RELATIVES_ZH.values()))

_SNAKE = re.compile(r"[^0-9a-z\u3400-\u9fff]+")


def word_set(text: str) -> frozenset[str]:
    """The whitespace-separated words of ``text``."""
    return frozenset(text.split())


def is_single_valued(relation: str) -> bool:
    """Whether a new value replaces the old one (lives_in) rather than adding to it (likes)."""
    return relation in SINGLE_VALUED or relation.startswith("favourite_")


def favourite_relation(thing: str) -> str:
    """``favourite_<thing>``: "colour" and "颜色" both give favourite_color."""
    thing = thing.strip().lower()
    thing = FAVOURITE_ZH.get(thing, _FAVOURITE_SPELLING.get(thing, thing))
    return "favourite_" + "_".join(_FAVOURITE_SPELLING.get(w, w) for w in _SNAKE.split(thing) if w)


def normalise_relation(text: str) -> str | None:
    """A relation in snake_case ("Lives In" -> lives_in, "favorite color" -> favourite_color);
    None when nothing is left."""
    words = [w for w in _SNAKE.split(unicodedata.normalize("NFKC", text).lower()) if w]
    if not words:
        return None
    relation = "_".join(_FAVOURITE_SPELLING.get(w, w) for w in words)
    if relation.startswith("favourite_"):
        return favourite_relation(relation.removeprefix("favourite_"))
    return relation


def relation_words(relation: str) -> str:
    """The words a question about this relation may use (English and Chinese)."""
    base = relation.removeprefix(RETRACT)
    if base.startswith("favourite_"):
        thing = base.removeprefix("favourite_")
        zh = " ".join(k for k, v in FAVOURITE_ZH.items() if v == thing)
        return f"{RELATION_WORDS['favourite']} {thing.replace('_', ' ')} {zh}"
    if base in RELATIVE_RELATIONS:
        nouns = [n for n, (r, _) in (*RELATIVES_EN.items(), *RELATIVES_ZH.items()) if r == base]
        return " ".join([*nouns, *(n + "s" for n in nouns if n.isascii()), RELATION_WORDS.get(base, "")])
    return RELATION_WORDS.get(base, base.replace("_", " "))


def object_type(relation: str) -> str:
    """The entity type of a relation's object (one of graph.types.ENTITY_TYPES)."""
    if relation in RELATIVE_RELATIONS:
        return "other" if relation in PETS else "person"
    return OBJECT_TYPES.get(relation, "other")


# Occupations, for "she is a nurse" / "她是一名护士" (and not "she is a good cook", "他是一个好人").
_OCCUPATIONS_EN = word_set("""accountant actor actress administrator analyst apprentice architect
artist assistant baker banker barber barista bartender bookkeeper builder butcher carpenter cashier
ceo cfo chef cleaner clerk coach comedian consultant cook courier cto curator dancer designer
detective developer diplomat director doctor driver editor electrician entrepreneur executive
farmer firefighter fisherman founder freelancer gardener guard hairdresser housekeeper illustrator
imam inspector instructor intern interpreter investor janitor journalist judge labourer laborer
lawyer lecturer librarian lifeguard locksmith manager mechanic midwife miner minister model
musician nanny nurse officer paralegal paramedic pastor pilot plumber poet policeman policewoman
politician porter postman priest principal producer professor programmer rabbi receptionist
reporter researcher sailor salesman saleswoman secretary senator singer soldier solicitor surgeon
surveyor tailor teacher technician trainee translator tutor vet veterinarian vicar waiter
waitress welder writer zookeeper""")
_OCCUPATION_ENDINGS = ("ologist", "grapher", "ician", "engineer", "smith", "wright", "ist")
_NOT_OCCUPATIONS = word_set("""optimist pessimist perfectionist realist idealist tourist racist sexist
atheist purist extremist narcissist minimalist feminist activist cyclist motorist finalist theist
buddhist baptist methodist socialist communist nationalist loyalist""")
_OCCUPATION_ZH = re.compile(
    r"(?:师|匠|警|官|医|(?<![会成])员|(?<![新高老对帮好能])手|(?<![大人自东玩老国])家|(?<![家学兄特专成擅])长|"
    r"工|医生|学生|研究生|博士生|硕士生|实习生|留学生|护士|战士|院士|记者|学者|经理|总监|主管|主任|教授|"
    r"会计|编辑|司机|农民|保安|秘书|助理|顾问|总裁|老板|模特|主播|博主|裁缝|保姆|演员|导演|警察|军人|商人|"
    r"工人|艺人|诗人|主持人|经纪人|创始人|合伙人|负责人|制片人|销售|客服|前台)$")


def is_occupation_en(noun: str) -> bool:
    """Whether an English noun ("nurse", "pharmacist", "engineer") names a job."""
    noun = noun.lower()
    if noun in _OCCUPATIONS_EN:
        return True
    return noun not in _NOT_OCCUPATIONS and noun.endswith(_OCCUPATION_ENDINGS)


def is_occupation_zh(phrase: str) -> bool:
    """Whether a Chinese noun phrase ("儿科医生", "程序员") ends in a job."""
    return bool(_OCCUPATION_ZH.search(phrase))


_UNITS_EN = {w: i for i, w in enumerate((
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"))}
_TENS_EN = {w: 10 * i for i, w in enumerate((
    "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"), start=2)}
_DIGITS_ZH = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"两": 2}


def number_value(text: str) -> str | None:
    """A whole number under 200 written in digits, English words ("twenty-five") or Chinese
    numerals ("二十五") as digits ("25"); None when ``text`` is no such number."""
    text = text.strip().lower()
    if text.isdigit():
        return str(int(text)) if len(text) <= 3 else None
    if text in _UNITS_EN:
        return str(_UNITS_EN[text])
    tens, _, unit = text.partition("-") if "-" in text else text.partition(" ")
    if tens in _TENS_EN and (not unit or (unit in _UNITS_EN and 0 < _UNITS_EN[unit] < 10)):
        return str(_TENS_EN[tens] + (_UNITS_EN[unit] if unit else 0))
    if text and all(c in _DIGITS_ZH or c == "十" for c in text) and text.count("十") <= 1:
        high, ten, low = text.partition("十")
        if len(high) > 1 or len(low) > 1 or (not ten and len(text) > 1):
            return None
        if not ten:
            return str(_DIGITS_ZH[text])
        return str((_DIGITS_ZH[high] if high else 1) * 10 + (_DIGITS_ZH[low] if low else 0))
    return None
