"""A light English stemmer for the keyword view of remembered turns: "hiking", "hiked" and
"hikes" all add the stem "hik", so a question that says "hike" finds a turn that says "hiked".

The keyword index matches whole words; stems are added next to the words (in the indexed text
and in the query), never in their place, so an exact word still counts and nothing shown
changes. Only Latin words of four letters or more; other scripts are left to the index.
``keyword_form`` is what a question searches the keyword index with: its words without those
that only make it a question ("did", "has", "been", "likely", "what kind of"), plus stems.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[A-Za-z]{4,}")
_DOUBLED = re.compile(r"([b-df-hj-np-tv-z])\1$")  # a doubled consonant: "runn", "stopp"
_KEEP_DOUBLED = ("ll", "ss", "zz", "ff")
# auxiliaries and hedges a question is phrased with ("may", "will" stay: May the month, Will the name)
QUESTION_WORDS = frozenset((
    "did", "does", "do", "done", "has", "have", "had", "been", "be", "being", "would", "could", "should",
    "might", "ever", "likely", "kind", "kinds", "type", "types", "sort", "sorts"))
_TOKEN = re.compile(r"\w+|\W+")


def stem(word: str) -> str:
    """``word`` without its inflection: plural/3rd person -s, -ing, -ed, final -e."""
    w = word.lower()
    if w.endswith(("ies", "ied")) and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) > 3:
        w = w[:-1]
    for suffix in ("ing", "ed"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: -len(suffix)]
            if _DOUBLED.search(w) and not w.endswith(_KEEP_DOUBLED):
                w = w[:-1]
            break
    if w.endswith("e") and len(w) > 3:
        w = w[:-1]
    return w


def stems_of(text: str) -> str:
    """The stems of ``text``'s words that differ from the words, once each, space-separated."""
    found = dict.fromkeys(s for s in (stem(m.group()) for m in _WORD.finditer(text))
                          if s)
    words = {m.group().lower() for m in _WORD.finditer(text)}
    return " ".join(s for s in found if s not in words)


def keyword_form(question: str) -> str:
    """``question`` as the keyword index should read it: without the words that only make it a
    question (unless nothing else is left), then the stems of the words kept."""
    parts = _TOKEN.findall(question)
    kept = "".join(p for p in parts if p.lower() not in QUESTION_WORDS)
    if not any(ch.isalnum() for ch in kept):
        kept = question
    stems = stems_of(kept)
    return f"{kept}\n{stems}" if stems else kept
