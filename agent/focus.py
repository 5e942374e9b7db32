"""How much of a question's focus one evidence sentence carries, English and Chinese.

A focus word counts in full when the sentence has it (or its acronym: "CTO" for "chief
technology officer"), a little less through a paraphrase ("head office" for "main office"),
and in part when only the sentence's passage or title has it (a heading names the topic,
the line under it gives the value). A focus word that the passage does not have at all, in
any form, is *absent*: the question asks about something the passage does not talk about
("chief financial officer" where only a CTO is named).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from agent.claim_terms import EN_STOPWORDS, en_content_stems, stem, zh_words
from agent.paraphrase import alternatives
from agent.question import Question
from graph.cjk import has_cjk

FOCUS_MIN = 0.7  # share of the focus (by weight) a sentence must carry

ABSENT_MAX = 0.3  # share of the focus its passage may lack altogether (a paraphrase nobody listed)

SIMILARITY_FLOOR = 0.6  # English: a sentence closer to the question than this (cosine) gets a lift,

SIMILARITY_LIFT = 0.3  # up to this much focus support at cosine 0.8 and above
PARAPHRASE_CREDIT = 0.85  # a focus word found only through a paraphrase
CONTEXT_CREDIT = 0.6  # a focus word found only in the title or a heading above the sentence
BODY_CREDIT = 0.6  # a focus word found only elsewhere in the sentence's passage


@dataclass(frozen=True, slots=True)
class FocusMatch:
    support: float  # 0..1, weighted share of the focus the sentence carries
    in_sentence: int  # focus words (not generic verbs) the sentence itself carries
    absent: float  # weighted share of the focus its passage lacks entirely
    key: bool = True  # the sentence itself carries the question's key word (Question.key)


@dataclass(slots=True)
class Text:
    """A piece of evidence prepared for term lookups."""

    lowered: str
    words: set[str]
    acronyms: frozenset[str] = frozenset()  # words written in capitals ("CTO", "EU")

    @classmethod
    def of(cls, text: str) -> Text:
        return cls(text.lower(), words_of(text), frozenset(re.findall(r"\b[A-Z]{2,5}s?\b", text)))


def words_of(text: str) -> set[str]:
    """English stems and Chinese words of ``text`` (and acronyms as written, lower-cased)."""
    found = {stem(w) for w in re.findall(r"[A-Za-z][A-Za-z'-]*", text)} | set(en_content_stems(text))
    if has_cjk(text):
        found |= {w.strip().lower() for w, _ in zh_words(text) if w.strip()}
    return found


def term_credit(term: str, text: Text) -> float:
    """1 when ``text`` has the term, PARAPHRASE_CREDIT through a paraphrase, else 0."""
    if has_cjk(term):
        if _affirmed(term, text.lowered):
            return 1.0
        if any(_affirmed(alt, text.lowered) for alt in alternatives(term)):
            return PARAPHRASE_CREDIT
        # a compound written without an inner character ("上个季度" against "上季度"); never one with
        # a character put inside (冬奥会 is not 冬残奥会) or cut off (火炬手 is not 火炬)
        if len(term) >= 4 and any(_affirmed(term[:i] + term[i + 1:], text.lowered)
                                  for i in range(1, len(term) - 1)):
            return PARAPHRASE_CREDIT
        if len(term) >= 3 and term.endswith("奖") and _affirmed(term[:-1], text.lowered):
            return PARAPHRASE_CREDIT  # an award named without 奖 ("获得最佳影片")
        return 0.0
    if term in text.words:
        return 1.0
    return PARAPHRASE_CREDIT if alternatives(term) & text.words else 0.0


def _affirmed(term: str, text: str) -> bool:
    """``term`` occurs in ``text`` other than negated by a prefix (网民 in 非网民 is not 网民)."""
    start = text.find(term)
    while start >= 0:
        if start == 0 or text[start - 1] not in "非不无未没":
            return True
        start = text.find(term, start + 1)
    return False


def _acronym_terms(question: Question, sentence: Text) -> set[str]:
    """Focus words whose run forms an acronym the sentence uses ("CTO" for chief technology officer)."""
    if question.language != "en":
        return set()
    if not sentence.acronyms:
        return set()
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z'-]*", question.text) if w.lower() not in EN_STOPWORDS]
    covered: set[str] = set()
    for size in (4, 3, 2):
        for i in range(len(words) - size + 1):
            run = words[i:i + size]
            letters = "".join(w[0] for w in run).upper()
            if letters in sentence.acronyms or letters + "s" in sentence.acronyms:
                covered |= {stem(w) for w in run}
    return covered


def focus_match(question: Question, sentence: Text, context: Text, headings: Text | None = None, *,
                typed: bool = False, near: frozenset[str] = frozenset()) -> FocusMatch:
    """How much of the focus ``sentence`` carries, with ``headings`` (its title and headings) and
    ``context`` (its whole passage) for the words it lacks. Generic verbs ("hold", "定在") count
    half, and nothing when the sentence has an answer of the asked kind (``typed``). Words in
    ``near`` the passage holds in other words (agent/word_meaning.py): credited as if elsewhere in it."""
    light = 0.0 if typed and question.focus else 0.5  # with nothing else asked, they are the focus
    weighted = [(t, 1.0, False) for t in question.focus] + [(t, light, True) for t in question.light]
    total = sum(w for _, w, _ in weighted)
    if not total:
        return FocusMatch(1.0, 0, 0.0)
    acronyms = _acronym_terms(question, sentence)
    support = absent = 0.0
    carried = 0
    key = not question.key
    for term, weight, light in weighted:
        credit = 1.0 if term in acronyms else term_credit(term, sentence)
        if credit >= PARAPHRASE_CREDIT and not light:
            carried += 1
            key = key or term == question.key
        if credit == 0.0:
            above = term_credit(term, headings) if headings is not None else 0.0
            around = term_credit(term, context)
            credit = max(CONTEXT_CREDIT * above, BODY_CREDIT * around)
            if around == 0.0 and above == 0.0 and not light:
                if term in near:
                    credit = BODY_CREDIT
                else:
                    absent += weight
        support += weight * credit
    return FocusMatch(support / total, carried, absent / total, key)


# how a text may name what the question names: Chinese news say 我国 for 中国
_SAID_AS = {"中国": ("我国",)}


def names_support(question: Question, context: str) -> float:
    """Share of the question's names mentioned in ``context``; a name counts in part by its words
    or characters ("Kestrel Loom" in "Kestrel Loom Analytics", 云岫公司 in 云岫智能家居有限公司)."""
    if not question.names:
        return 1.0
    lowered = context.lower()
    credits = []
    for name in question.names:
        folded = name.lower()
        if folded in lowered or any(alias in lowered for alias in _SAID_AS.get(folded, ())):
            credits.append(1.0)
            continue
        parts = re.findall(r"[a-z0-9]+|[\u4e00-\u9fff]", folded)
        credits.append(sum(p in lowered for p in parts) / len(parts) * 0.9 if parts else 0.0)
    return sum(credits) / len(credits)


def numbers_present(question: Question, context: str) -> bool:
    """Every number the question writes (a year, a version) occurs in ``context``."""
    held = set(re.findall(r"\d+(?:\.\d+)?", context.replace(",", "")))
    return all(n in held for n in question.numbers)


def lifted(focus: FocusMatch, similarity: float) -> FocusMatch:
    """An English sentence very close to the question in meaning carries more of its focus than
    its words show ("ferry from the quay at 12:30" for "when does the ferry leave the quay")."""
    share = (similarity - SIMILARITY_FLOOR) / (1.0 - SIMILARITY_FLOOR - 0.2)
    lift = min(max(share, 0.0), 1.0) * SIMILARITY_LIFT
    return replace(focus, support=min(focus.support + lift, 1.0)) if lift else focus
