"""Which remembered fact a question asks for: its subject ("my sister" -> Lin, "Marguerite",
"我") and its relation ("where ... live" -> lives_in, 最喜欢吃什么水果 -> favourite_fruit).

Only a question that names both clearly is matched; anything else is left to the reader and
the documents, so a fact is never given for a question it does not answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from memory.fact_vocab import (
    FAVOURITE_ZH,
    RELATIVE_RELATIONS,
    RELATIVES_EN,
    RELATIVES_ZH,
    USER,
    favourite_relation,
)

# relation -> what a question about it says (English and Chinese), most specific first
_ASKS = [(relation, re.compile(pattern, re.IGNORECASE)) for relation, pattern in (
    ("allergic_to", r"\ballerg|过敏"),
    ("birthday", r"\bbirthday|\bwhen\b.*\bborn\b|生日|哪天出生|什么时候出生"),
    ("age", r"\bhow old\b|\bage\b|多大|几岁|年龄|年纪"),
    ("born_in", r"\bwhere\b.*\bborn\b|出生在哪|在哪.{0,3}出生"),
    ("hometown", r"\bwhere\b.*\bfrom\b|\bhome ?town\b|老家|家乡|哪里人"),
    ("works_as", r"\b(?:job|occupation|profession)\b|\bwhat\b.*\bdo(?:es)?\b.*\bdo\b(?! you)|"
                 r"\bwork(?:s|ing)? as\b|做什么工作|什么工作|职业|做什么的|干什么的"),
    ("works_at", r"\bwhere\b.*\bwork|\bwork(?:s|ing)? (?:at|for)\b|\b(?:company|employer)\b|"
                 r"(?:在哪|哪里|哪儿).{0,4}(?:工作|上班)|在哪(?:个|家)|(?:哪家|什么)公司|单位"),
    ("studies_at", r"\b(?:study|studies|school|university|college)\b|上学|读书|学校|大学"),
    ("speaks", r"\bspeak|\blanguages?\b|会说|语言"),
    ("lives_in", r"\b(?:live|lives|living|reside|resides)\b|\bwhere\b.*\b(?:moved|home)\b|住|搬到|家在"),
    ("name", r"\bname\b|叫什么|名字"),
    ("likes", r"\bwhat\b.*\b(?:like|likes|enjoy|enjoys|love|loves)\b|\bhobb|喜欢什么|爱好"),
)]
_FAVOURITE_EN = re.compile(r"\bfavou?rite\s+([a-z][a-z ]{0,30}?)(?:\?|$|\s+(?:is|are|of)\b)", re.IGNORECASE)
_FAVOURITE_ZH = re.compile(r"最喜欢(?:的|吃的?|喝的?|看的?|听的?|玩的?)?"
                           r"(?:什么|哪个|哪种|哪一种|哪部|哪本|哪首)?(?P<thing>[\u4e00-\u9fff]{1,2}?)(?:是|呢|？|\?|$)")
_FIRST_PERSON = re.compile(r"\b(?:i|me|my|mine|myself)\b|我(?!们)", re.IGNORECASE)
_WHO_IS = re.compile(r"\bwho(?:'s| is| are)\b|\bname\b|是谁|叫什么|名字", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class FactQuestion:
    subject: str  # "user", a person's name, or "user's sister" / "用户的外婆" when unnamed
    relation: str


def asked_fact(question: str, subjects: Sequence[str], kin: Mapping[str, str]) -> FactQuestion | None:
    """The (subject, relation) ``question`` asks about, or None when either is unclear.
    ``subjects``: the subjects the user's facts have; ``kin``: relative's name -> has_<relative>."""
    subject = _subject(question, subjects, kin)
    if subject is None:
        return None
    relative = _relative_asked(question, subject, kin)
    if relative:
        return FactQuestion(USER, relative)
    relation = _relation(question)
    return FactQuestion(subject, relation) if relation else None


def _subject(question: str, subjects: Sequence[str], kin: Mapping[str, str]) -> str | None:
    """A person the question names, a relative it names by kin ("my sister" -> the one sister
    the user has), else the user when it says "I", "my" or 我."""
    folded = question.casefold()
    named = {s for s in subjects if s != USER and _names(folded, s)}
    if len(named) == 1:
        return named.pop()
    if named:
        return None
    for noun, relation in _kin_nouns(folded):
        people = [name for name, rel in kin.items() if rel == relation]
        unnamed = next((s for s in subjects if s in (f"user's {noun}", f"用户的{noun}")), None)
        if len(people) == 1:
            return people[0]
        if unnamed and not people:
            return unnamed
        return None  # two sisters, or none known: unclear
    return USER if _FIRST_PERSON.search(question) else None


def _names(folded: str, subject: str) -> bool:
    if subject.startswith(("user's ", "用户的")):
        return False
    name = subject.casefold()
    forms = {name, name.split()[0]} if " " in name else {name}
    if re.search(r"[\u4e00-\u9fff]", name):
        return any(f in folded for f in forms)
    return any(re.search(rf"\b{re.escape(f)}\b", folded) for f in forms if len(f) > 1)


def _kin_nouns(folded: str) -> list[tuple[str, str]]:
    """(noun, has_<relative>) for every kin noun in the question, longest first."""
    found = [(noun, relation) for noun, (relation, _) in RELATIVES_ZH.items() if noun in folded]
    found += [(noun, relation) for noun, (relation, _) in RELATIVES_EN.items()
              if re.search(rf"\b{re.escape(noun)}s?\b", folded)]
    return sorted(found, key=lambda nr: -len(nr[0]))


def _relative_asked(question: str, subject: str, kin: Mapping[str, str]) -> str | None:
    """"Who is my sister?" / "What's my sister's name?": the has_<relative> fact itself."""
    relation = kin.get(subject)
    if relation not in RELATIVE_RELATIONS or not _WHO_IS.search(question):
        return None
    return relation if not _relation(question.replace("name", "")) else None


def _relation(question: str) -> str | None:
    if m := _FAVOURITE_EN.search(question):
        return favourite_relation(m.group(1))
    if (m := _FAVOURITE_ZH.search(question)) and m["thing"] in FAVOURITE_ZH:
        return favourite_relation(m["thing"])
    return next((relation for relation, pattern in _ASKS if pattern.search(question)), None)
