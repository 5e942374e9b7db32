"""A remembered fact as one plain sentence about the user, for the model's context."""

from __future__ import annotations

from graph.cjk import has_cjk
from memory.fact_vocab import FAVOURITE_ZH, RELATIVE_RELATIONS, RELATIVES_EN, RELATIVES_ZH, USER

_EN = {
    "lives_in": "{s} lives in {o}", "works_at": "{s} works at {o}", "works_as": "{s} works as {o}",
    "studies_at": "{s} studies at {o}", "name": "{p} name is {o}", "birthday": "{p} birthday is {o}",
    "born_in": "{s} was born in {o}", "hometown": "{s} is from {o}", "age": "{s} is {o} years old",
    "likes": "{s} likes {o}", "dislikes": "{s} dislikes {o}", "speaks": "{s} speaks {o}",
    "allergic_to": "{s} is allergic to {o}",
}
_ZH = {
    "lives_in": "{s}住在{o}", "works_at": "{s}在{o}工作", "works_as": "{s}的职业是{o}",
    "studies_at": "{s}在{o}上学", "name": "{s}的名字是{o}", "birthday": "{s}的生日是{o}",
    "born_in": "{s}出生在{o}", "hometown": "{s}来自{o}", "age": "{s}{o}岁", "likes": "{s}喜欢{o}",
    "dislikes": "{s}不喜欢{o}", "speaks": "{s}会说{o}", "allergic_to": "{s}对{o}过敏",
}

NOTE = "said"  # the relation of a note: what the user asked to remember, verbatim
_ZH_NOUN = {"has_sister": "姐妹", "has_brother": "兄弟"}  # the relation keeps no elder/younger


def describe(subject: str, relation: str, object_: str, *, chinese: bool | None = None,
             kin: str = "") -> str:
    """E.g. ("user", "lives_in", "Hangzhou") -> "The user lives in Hangzhou." and in Chinese
    "用户住在杭州。"; ``chinese=None`` picks Chinese when the subject or object is written in it.
    ``kin``: the noun for how the subject is related to the user ("sister": "The user's sister
    Lin lives in Hangzhou."; see ``kin_noun``)."""
    if chinese is None:
        chinese = has_cjk(subject) or has_cjk(object_)
    if relation == NOTE:
        return _note(object_, chinese)
    if kin and subject != USER and relation not in RELATIVE_RELATIONS:
        subject = f"用户的{kin}{subject}" if chinese else f"user's {kin} {subject}"
    return _zh(subject, relation, object_) if chinese else _en(subject, relation, object_)


def kin_noun(relation: str, chinese: bool, said: str = "") -> str:
    """The noun for a has_<relative> relation: the one ``said`` uses ("姐姐", "best friend"),
    else the first of the vocabulary."""
    nouns = [n for n, (r, _) in (RELATIVES_ZH if chinese else RELATIVES_EN).items() if r == relation]
    used = [n for n in nouns if n in said.casefold()]
    if used:
        return max(used, key=len)
    if chinese:
        return _ZH_NOUN.get(relation) or (nouns[0] if nouns else relation.removeprefix("has_"))
    return nouns[0] if nouns else relation.removeprefix("has_").replace("_", " ")


def _note(object_: str, chinese: bool) -> str:
    """A remembered note with no recognisable fact, quoted as the user said it."""
    said = object_.strip()
    return f"用户说：“{said}”" if chinese else f"The user said: \u201c{said}\u201d"


def _en(subject: str, relation: str, object_: str) -> str:
    s = "the user" if subject == USER else ("the " + subject if subject.startswith("user's ") else subject)
    p = s + ("'" if s.endswith("s") else "'s")
    if relation in RELATIVE_RELATIONS:
        text = f"{object_} is {p} {kin_noun(relation, False)}"
    elif relation.startswith("favourite_"):
        text = f"{p} favourite {relation.removeprefix('favourite_').replace('_', ' ')} is {object_}"
    else:
        template = _EN.get(relation, "{s} " + relation.replace("_", " ") + " {o}")
        text = template.format(s=s, p=p, o=object_)
    return text[0].upper() + text[1:] + "."


def _zh(subject: str, relation: str, object_: str) -> str:
    s = "用户" if subject == USER else subject
    if relation in RELATIVE_RELATIONS:
        return f"{object_}是{s}的{kin_noun(relation, True)}。"
    if relation.startswith("favourite_"):
        thing = relation.removeprefix("favourite_")
        zh = next((k for k, v in FAVOURITE_ZH.items() if v == thing), thing)
        return f"{s}最喜欢的{zh}是{object_}。"
    return _ZH.get(relation, "{s} " + relation + " {o}").format(s=s, o=object_) + "。"
