"""Evidence passages as sentences to read: list bullets and Markdown emphasis removed, headings
told apart (they name a topic; the lines under them give values), and neighbouring sentences
paired (a fact that spans two)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from agent.claims import Span, split_sentences
from memory.parts import Passage

_MARKUP = re.compile(r"^\s*(?:[-*+•]|\d+[.)]|#+)\s+|\*\*|__|`")

MAX_SENTENCES = 400  # sentences scored per question (evidence is a handful of passages)

def clean_sentence(sentence: str) -> str:
    """A sentence without list bullets and Markdown emphasis."""
    return re.sub(r"\s+", " ", _MARKUP.sub("", _MARKUP.sub("", sentence.strip()))).strip()

_CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff”」）])\s+(?=[\u3400-\u9fff“「（])")


def sentence_spans(text: str) -> list[Span]:
    """Sentences of ``text`` with their offsets, split also where whitespace separates Chinese."""
    out = []
    for piece in split_sentences(text):
        cursor = 0
        for gap in [*_CJK_GAP.finditer(piece.text), None]:
            end = gap.start() if gap is not None else len(piece.text)
            if piece.text[cursor:end].strip():
                out.append(Span(piece.text[cursor:end], piece.start + cursor, piece.start + end))
            cursor = gap.end() if gap is not None else end
    return out


def sentences_of(text: str) -> list[str]:
    """The cleaned sentences of a passage. Whitespace between two Chinese characters ends a
    sentence too: scraped Chinese text often runs sentences together with only a space."""
    return [c for piece in sentence_spans(text) if (c := clean_sentence(piece.text))]


def sentence_units(evidence: Sequence[Passage]) -> list[tuple[int, str, bool]]:
    """(passage, text, pair) for each sentence, and each pair of neighbouring sentences."""
    units: list[tuple[int, str, bool]] = []
    for index, passage in enumerate(evidence):
        sentences = sentences_of(passage.text)
        units += [(index, s, False) for s in sentences]
        headings = headings_of(passage.text)
        units += [(index, f"{a} {b}", True) for a, b in itertools.pairwise(sentences) if a not in headings]
    return units[:MAX_SENTENCES]


def is_heading(sentence: str, scope: str) -> bool:
    """Whether ``sentence`` is the title or a heading; ``scope`` is the passage's title and its
    headings (``headings_of``)."""
    return sentence.strip() in scope


def headings_of(text: str) -> str:
    """The heading lines of a passage (Markdown headings, short lines without a full stop): they
    scope the sentences below them ("## App 3.2 progress")."""
    lines = [line.strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line.startswith("#")
                     or (0 < len(line) <= 40 and not re.search(r"[.。！？!?；;]$", line)))
