"""Split an answer into sentences (the claims that verification checks), English and Chinese.

Every piece keeps its character offsets in the original text, so a caller can put a
citation mark right after the sentence it belongs to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from graph.cjk import cjk_ratio

Language = Literal["en", "zh"]

# Words after which a full stop does not end an English sentence.
_ABBREVIATIONS = frozenset(re.findall(
    r"\S+", "mr mrs ms dr prof sr jr st mt vs etc e.g i.e inc ltd co corp dept fig no vol jan feb mar apr "
    "jun jul aug sep sept oct nov dec u.s u.k a.m p.m approx est ca gen col lt sgt rev"))
# Sentence ends: CJK terminal punctuation (no space needed), ASCII terminals (followed by a
# space, a closing quote or bracket, or the end), and line breaks.
_CJK_END = "。！？；…"
_END = re.compile(r"[。！？；]+[”’」』）)]*|…+|[.!?]+[\"'”’)\]]*(?=\s|$)|\n+")
_CITATION = re.compile(r"\s*\[(?:\d+(?:\s*[,，]\s*\d+)*|unsupported|无依据)\]")


@dataclass(frozen=True, slots=True)
class Span:
    text: str
    start: int
    end: int


def language_of(text: str) -> Language:
    """``zh`` when at least a fifth of the visible characters are CJK, else ``en``."""
    return "zh" if cjk_ratio(text) >= 0.2 else "en"


def _ends_abbreviation(text: str, dot: int) -> bool:
    """True when the full stop at ``dot`` belongs to an abbreviation, an initial or a number."""
    before = re.search(r"([A-Za-z.]+)$", text[:dot])
    word = before.group(1).lower().rstrip(".") if before else ""
    if word in _ABBREVIATIONS:
        return True
    if len(word) == 1 and text[dot - 1].isupper():  # an initial: "J. R. R. Tolkien"
        return True
    after = text[dot + 1:dot + 3]
    return bool(re.match(r"\s?[a-z0-9]", after)) and not after.startswith("\n")


def _boundaries(text: str) -> list[int]:
    """Offsets just past each sentence end."""
    cuts = []
    for match in _END.finditer(text):
        if match.group().startswith(".") and match.group() == "." and _ends_abbreviation(text, match.start()):
            continue
        cuts.append(match.end())
    return cuts


def split_sentences(text: str) -> list[Span]:
    """Sentences of ``text`` with their offsets; blank pieces and lone punctuation are dropped."""
    spans: list[Span] = []
    start = 0
    for cut in [*_boundaries(text), len(text)]:
        piece = text[start:cut]
        stripped = piece.strip()
        if stripped and re.search(r"\w", stripped):
            offset = start + piece.index(stripped)
            spans.append(Span(stripped, offset, offset + len(stripped)))
        elif stripped and spans:  # trailing punctuation joins the previous sentence
            last = spans[-1]
            end = start + piece.index(stripped) + len(stripped)
            spans[-1] = Span(text[last.start:end], last.start, end)
        start = cut
    return spans


def strip_citations(text: str) -> str:
    """The text without citation marks such as ``[1]``, ``[2, 3]`` or ``[unsupported]``."""
    return _CITATION.sub("", text)


def is_cjk_sentence_end(char: str) -> bool:
    return char in _CJK_END
