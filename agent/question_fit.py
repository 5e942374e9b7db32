"""Chinese question words cut the way the evidence writes them.

jieba cuts a question without knowing the documents: "汤臣倍健2022年上半年的营收为多少" gives the
words 营 and 收为, "最佳影片奖" gives 影片奖, and no evidence sentence carries those. A focus word or
name that no evidence holds is replaced by the longest piece of the question around it that the
evidence does hold (营收, 最佳影片), and the words that piece covers are dropped. Words the evidence
holds, and English questions, are left as they are.
"""

from __future__ import annotations

import re
from dataclasses import replace

from agent.question import Question
from graph.cjk import has_cjk

_ASKING = re.compile(r"多少|什么|哪|谁|几|吗|呢|是否|怎么|如何|为何")
_GLUE = re.compile(r"[的了在是和与及为把被将]")  # a piece neither starts nor ends with these
_MAX_LEN = 6
_REACH = 3  # characters a piece may reach beyond the word on either side


def fit_to(question: Question, evidence: str) -> Question:
    """``question`` with its Chinese words that ``evidence`` lacks replaced by pieces it has."""
    if question.language != "zh" or not evidence:
        return question
    held = evidence.lower()
    groups = {"focus": list(question.focus), "light": list(question.light), "names": list(question.names)}
    pieces: list[tuple[str, str]] = []
    for group, words in groups.items():
        for word in words:
            if has_cjk(word) and word.lower() not in held:
                piece = _piece_around(question.text, word, held)
                if piece:
                    pieces.append((group if group != "light" or len(piece) < 2 else "focus", piece))
    if not pieces:
        return question
    for group, piece in pieces:
        for name, words in groups.items():
            groups[name] = [w for w in words if not (w in piece or (has_cjk(w) and w not in held
                                                                     and _overlaps(question.text, w, piece)))]
        groups[group].append(piece)
    return replace(question, focus=tuple(dict.fromkeys(groups["focus"])),
                   light=tuple(dict.fromkeys(groups["light"])), names=tuple(dict.fromkeys(groups["names"])))


def _piece_around(text: str, word: str, held: str) -> str:
    """The longest piece of ``text`` (2 to 6 characters, no question words, no punctuation) that
    overlaps ``word`` and occurs in ``held``."""
    at = text.find(word)
    if at < 0:
        return ""
    best = ""
    for start in range(max(0, at - _REACH), at + len(word)):
        for end in range(max(start + 2, at + 1), min(len(text), at + len(word) + _REACH) + 1):
            piece = text[start:end]
            if (len(piece) > _MAX_LEN or len(piece) <= len(best) or not has_cjk(piece)
                    or re.search(r"[^\w]", piece) or _ASKING.search(piece) or _GLUE.match(piece)
                    or _GLUE.match(piece[-1])):
                continue
            dropped = word[:max(0, start - at)] + word[max(0, end - at):]
            if piece.lower() in held and all(_GLUE.match(c) for c in dropped):
                best = piece  # never drops a character that means something (出口量 is not 出口)
    return best


def _overlaps(text: str, word: str, piece: str) -> bool:
    at, where = text.find(word), text.find(piece)
    return at >= 0 and where >= 0 and at < where + len(piece) and where < at + len(word)
