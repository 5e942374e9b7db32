"""Scoring of the answers benchmark: the rules of ``userdocs/README.md`` (normalisation, the
600-character and no-repeated-sentence rule, correct / declined / wrong / wrong-cited /
hallucinated / stale), pure functions of a reply."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

DECLINED_ACTIONS = frozenset({"abstained", "no_evidence"})
MAX_ANSWER_CHARS = 600

_CITATION = re.compile(r"\[\s*\d+(?:\s*[,，、-]\s*\d+)*\s*\]")
_SENTENCE_END = re.compile(r"(?:[.!?…]+(?=\s|$)|[。\n])+")
REFUSALS = (  # matched after normalise(): spaces, apostrophes and punctuation do not matter
    "don't know", "do not know", "not mentioned", "isn't mentioned", "no mention", "not mention",
    "doesn't mention", "does not mention", "didn't mention", "doesn't say", "does not say",
    "do not say", "don't say", "not stated", "not specified", "not provided", "not given",
    "no information", "not enough information", "cannot find", "can't find", "could not find",
    "couldn't find", "unable to", "cannot answer", "can't answer", "cannot determine",
    "can't determine", "not sure", "no record", "nothing about",
    "不知道", "没有提到", "没提到", "未提到", "没有提及", "未提及", "没有说", "没说",
    "未说明", "没有找到", "未找到", "找不到", "没有相关", "无相关", "无法回答", "无法确定",
    "无法得知", "无从得知", "不清楚", "不确定", "没有信息", "没有记录", "未涉及", "没有涉及",
    "没有给出", "未给出",
)


def _separator(char: str) -> bool:
    return unicodedata.category(char)[0] in "PZC"  # punctuation (Chinese too), spaces, controls


def normalise(text: str) -> str:
    """NFKC, lower case, citation marks [n] removed, spaces and punctuation removed; between two
    digits a lone "." stays (a decimal point) and any other separator becomes one space (a
    boundary): "48,000" -> "48 000", "4.2 L" -> "4.2l", "１２：３０" -> "12 30"."""
    text = _CITATION.sub(" ", unicodedata.normalize("NFKC", text).lower())
    out: list[str] = []
    gap = ""
    for char in text:
        if _separator(char):
            gap += char
            continue
        if gap and out and out[-1].isdecimal() and char.isdecimal():
            out.append("." if gap == "." else " ")
        out.append(char)
        gap = ""
    return "".join(out)


def _free(text: str, index: int, edge: str) -> bool:
    """A gold answer's first or last character that is a digit must not continue a number."""
    if not edge.isdecimal() or not 0 <= index < len(text):
        return True
    return not (text[index].isdecimal() or text[index] == ".")


def contains_answer(reply: str, answer: str) -> bool:
    """Whether ``answer`` occurs in ``reply`` after normalisation, not inside a longer number."""
    text, gold = normalise(reply), normalise(answer)
    start = text.find(gold) if gold else -1
    while start != -1:
        if _free(text, start - 1, gold[0]) and _free(text, start + len(gold), gold[-1]):
            return True
        start = text.find(gold, start + 1)
    return False


Match = Callable[[str, str], bool]
Scorer = Callable[[str, str, int], str]  # (reply text, action, citations) -> outcome


def any_answer(reply: str, answers: Sequence[str], match: Match = contains_answer) -> bool:
    return any(match(reply, answer) for answer in answers)


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(unicodedata.normalize("NFKC", text)) if normalise(s)]


def is_answer_shaped(reply: str) -> bool:
    """At most 600 characters and no sentence said twice (quoting or repeating is not an answer)."""
    said = [normalise(s) for s in sentences(reply)]
    return len(reply.strip()) <= MAX_ANSWER_CHARS and len(said) == len(set(said))


def refuses(reply: str) -> bool:
    text = normalise(reply)
    return any(normalise(phrase) in text for phrase in REFUSALS)


def is_declined(reply: str, action: str = "kept") -> bool:
    return action in DECLINED_ACTIONS or refuses(reply)


def score_answerable(reply: str, answers: Sequence[str], action: str = "kept", citations: int = 0,
                     match: Match = contains_answer) -> str:
    """correct | declined | wrong | wrong_cited for a question whose gold ``answers`` are known."""
    found = any_answer(reply, answers, match)
    if found and is_answer_shaped(reply):
        return "correct"
    if action in DECLINED_ACTIONS or (not found and refuses(reply)):
        return "declined"
    return "wrong_cited" if citations else "wrong"


def score_unanswerable(reply: str, action: str = "kept") -> str:
    """correct (declined) | hallucinated for a question nothing answers."""
    return "correct" if is_declined(reply, action) else "hallucinated"


def score_memory(reply: str, answers: Sequence[str], stale: Sequence[str] = (), action: str = "kept",
                 citations: int = 0) -> str:
    """stale if an old value is given; else as an answerable or an unanswerable question."""
    if any_answer(reply, stale):
        return "stale"
    if not answers:
        return score_unanswerable(reply, action)
    return score_answerable(reply, answers, action, citations)


def question_scorer(answers: Sequence[str], match: Match = contains_answer) -> Scorer:
    """How a question is scored: answerable with these gold answers, or unanswerable ([])."""
    def score(reply: str, action: str, citations: int) -> str:
        if not answers:
            return score_unanswerable(reply, action)
        return score_answerable(reply, answers, action, citations, match)
    return score


def memory_scorer(answers: Sequence[str], stale: Sequence[str]) -> Scorer:
    return lambda reply, action, citations: score_memory(reply, answers, stale, action, citations)


def yes_no_match(reply: str, answer: str) -> bool:
    """HotpotQA yes/no gold: the reply's first word must be it ("no" is inside "know")."""
    words = re.findall(r"\w+", unicodedata.normalize("NFKC", reply).lower())
    return bool(words) and words[0] == answer.lower()


def flatten(answers: Any) -> list[str]:
    """Every string in a (nested) RGB answer list."""
    return [s for a in answers for s in flatten(a)] if isinstance(answers, list) else [str(answers)]


def rgb_all_parts(reply: str, answers: Sequence[Any]) -> bool:
    """RGB's own rule: every part found (a part given as a list: any of its variants)."""
    return all(any_answer(reply, flatten(part)) for part in answers)


def split_of(item_id: str) -> str:
    """dev: the id's number is odd; test: even (tune on one half, report on the other)."""
    return "dev" if int(re.findall(r"\d+", item_id)[-1]) % 2 else "test"
