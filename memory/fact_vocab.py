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
}
PETS = frozenset({"has_dog", "has_cat"})

SINGLE_VALUED = frozenset({
    "lives_in", "works_at", "works_as", "studies_at", "name", "birthday", "born_in", "hometown",
    "age", "has_mother", "has_father", "has_wife", "has_husband", "has_spouse", "has_partner",
    "has_boyfriend", "has_girlfriend", "has_boss",
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
