"""Split text into overlapping chunks and sentences, keeping exact character offsets.

Chunk sizes are measured with :func:`approx_tokens` (a CJK character counts 1, an English
word 1.3, a punctuation mark 0.5 - close to what BPE tokenizers give for both languages),
or with any ``length_function`` passed in, e.g. a model tokenizer's token count.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

from graph.cjk import CJK_CHAR
from graph.errors import InputError, require

# Paragraphs, lines, sentence ends (CJK full-width and ASCII), clause marks, then words.
# Each separator stays at the end of the piece before it, so chunks are exact substrings.
SEPARATORS = (
    "\n\n", "\n",
    "。", "！", "？", "!", "?", "．", ". ", "…",
    "；", ";", "：", ": ",
    "，", "、", ", ", "､",
    " ", "",
)

_UNITS = re.compile(
    r"(?P<cjk>" + CJK_CHAR.pattern + r")|(?P<word>[^\W_]+(?:['’][^\W_]+)*)|(?P<mark>[^\s\w])"
)
_SCALE = 10  # approx_tokens works in tenths internally so piece lengths add up exactly


def _tenths(text: str) -> int:
    total = 0
    for match in _UNITS.finditer(text):
        kind = match.lastgroup
        total += 10 if kind == "cjk" else 13 if kind == "word" else 5
    return total


def approx_tokens(text: str) -> int:
    """Rough token count fair to Chinese and English: CJK char 1, word 1.3, mark 0.5."""
    return -(-_tenths(text) // _SCALE)


@dataclass(frozen=True, slots=True)
class TextSpan:
    text: str
    start: int  # text == source[start:end]
    end: int


def chunk_text(
    text: str,
    *,
    chunk_size: int = 256,
    overlap: int = 32,
    length_function: Callable[[str], int] | None = None,
) -> list[TextSpan]:
    """Chunks of at most ``chunk_size`` (approx tokens, or ``length_function`` units).

    The splitter cuts the text into consecutive pieces of ``chunk_size - overlap`` at the
    largest natural boundary that fits (paragraph, line, sentence, clause, word); then each
    piece after the first is given a lead-in of up to ``overlap`` from the text before it,
    starting at a sentence boundary where one fits, else a clause, word or CJK character.
    """
    if chunk_size < 1:
        raise InputError(f"chunk_size must be at least 1, got {chunk_size}.")
    if not 0 <= overlap < chunk_size:
        raise InputError(f"overlap must be >= 0 and smaller than chunk_size ({chunk_size}), "
                         f"got {overlap}.")
    if not text.strip():
        return []
    splitters = require("langchain_text_splitters", "knowledge", "Chunking text")
    scale = 1 if length_function else _SCALE
    measure = length_function or _tenths
    splitter = splitters.RecursiveCharacterTextSplitter(
        separators=list(SEPARATORS),
        keep_separator="end",
        is_separator_regex=False,
        chunk_size=(chunk_size - overlap) * scale,
        chunk_overlap=0,
        length_function=measure,
        strip_whitespace=True,
    )
    pieces = _tile(text, [c for c in splitter.split_text(text) if c.strip()])
    if not overlap:
        return pieces
    limit, budget = chunk_size * scale, overlap * scale
    spans = pieces[:1]
    for before, piece in pairwise(pieces):
        start = _lead_in_start(text, before.start, piece, limit, budget, measure)
        spans.append(TextSpan(text[start:piece.end], start, piece.end))
    return spans


def _tile(text: str, pieces: list[str]) -> list[TextSpan]:
    """Offsets of non-overlapping chunks that are, in order, substrings of ``text`` separated
    only by whitespace: each one is the first match at or after the previous one's end."""
    spans: list[TextSpan] = []
    end = 0
    for piece in pieces:
        start = text.find(piece, end)
        if start == -1:
            raise RuntimeError("chunk not found in its source text; the splitter changed text")
        end = start + len(piece)
        spans.append(TextSpan(piece, start, end))
    return spans


# Where a lead-in may start, best first: after a sentence, after a clause, at a word.
_LEAD_IN_LEVELS = (
    ("\n", "。", "！", "？", "!", "?", "．", ". ", "…", "；", "; "),
    ("，", "、", ", ", "：", ": ", "､"),
    (" ", "\t"),
)


def _lead_in_start(text: str, floor: int, piece: TextSpan, limit: int, budget: int,
                   measure: Callable[[str], int]) -> int:
    """The earliest boundary in ``text[floor:piece.start]`` from which the lead-in fits."""
    region = text[floor:piece.start]

    def fits(cut: int) -> bool:
        lead = text[cut:piece.start]
        return bool(lead.strip()) and measure(lead) <= budget and measure(
            text[cut:piece.end]) <= limit

    levels = [[floor + m.end() for sep in seps for m in re.finditer(re.escape(sep), region)]
              for seps in _LEAD_IN_LEVELS]
    levels.append([floor + m.start() for m in CJK_CHAR.finditer(region)])
    for cuts in levels:
        cuts = sorted(c for c in set(cuts) if text[c:piece.start].strip())
        lo, hi = 0, len(cuts)
        while lo < hi:  # a later cut gives a shorter lead-in, so fits() is monotone
            mid = (lo + hi) // 2
            if fits(cuts[mid]):
                hi = mid
            else:
                lo = mid + 1
        if lo < len(cuts):
            cut = cuts[lo]
            return cut + len(text[cut:piece.start]) - len(text[cut:piece.start].lstrip())
    return piece.start


def with_title(title: str, text: str) -> str:
    """What is embedded and keyword-indexed for a chunk: its document's title, then its text.

    A document's later chunks seldom repeat its name, and the title is often the one name a
    question uses, so both dense and keyword search see it with every chunk. The chunk's
    own text and offsets are unchanged."""
    title = title.strip()
    return f"{title}\n{text}" if title else text


_ABBREVIATIONS = frozenset({
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "inc", "ltd", "co", "corp",
    "dept", "fig", "no", "vol", "approx", "e.g", "i.e", "u.s", "u.k", "a.m", "p.m", "jan", "feb",
    "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
})
_BOUNDARY = re.compile(
    r"[。！？]+[”’」』）】\"')\]]*"  # CJK sentence ends need no space after them
    r"|[.!?…]+[\"'”’)\]]*(?=\s|$)"  # ASCII ones do
    r"|\n+"
)
_WORD_BEFORE = re.compile(r"([\w.]+)\.$")


def split_sentences(text: str) -> list[TextSpan]:
    """Sentences of English and Chinese text (lines count as sentence breaks), as spans."""
    spans: list[TextSpan] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        if match.group().startswith(".") and _is_abbreviation(text, match.start(), match.end()):
            continue
        _add_span(text, start, match.end(), spans)
        start = match.end()
    _add_span(text, start, len(text), spans)
    return spans


def _is_abbreviation(text: str, dot: int, end: int) -> bool:
    word = _WORD_BEFORE.search(text[max(0, dot - 12): dot + 1])
    if word is not None:
        token = word.group(1).lower()
        if token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha()):
            return True
    following = text[end: end + 3].lstrip()
    return bool(following) and following[0].islower()


def _add_span(text: str, start: int, end: int, spans: list[TextSpan]) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    if stripped:
        left = start + len(piece) - len(piece.lstrip())
        spans.append(TextSpan(stripped, left, left + len(stripped)))
