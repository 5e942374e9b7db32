"""English focus words a passage covers in other words ("buying" in the question, "purchase" in
the warranty terms), found by the embedder's similarity of single words.

A word covered this way is not *absent* (the passage does talk about it) and gets the credit of a
word found elsewhere in the passage, never the credit of a word in the sentence: a similar word
may be an opposite ("buy" and "sell" are close), so it only keeps a passage from being ruled out.
"""

from __future__ import annotations

import re

import numpy as np

from agent.claim_terms import EN_STOPWORDS, stem
from agent.focus import Text, term_credit
from agent.question import Question
from graph.embedding import Embedder

NEAR = 0.75  # cosine of two single words' vectors that counts as the same idea
_CACHE_LIMIT = 50_000


class WordMeaning:
    """Finds the focus words a passage covers by meaning; word vectors are cached."""

    def __init__(self, embedder: Embedder | None) -> None:
        self.embedder = embedder
        self._vectors: dict[str, np.ndarray] = {}

    def covered(self, question: Question, passage: str) -> frozenset[str]:
        """The focus words (stems) of ``question`` that ``passage`` lacks as words but holds in meaning."""
        if self.embedder is None or question.language != "en":
            return frozenset()
        context = Text.of(passage)
        missing = [t for t in question.focus if term_credit(t, context) == 0.0]
        if not missing:
            return frozenset()
        written = {stem(w): w.lower() for w in re.findall(r"[A-Za-z][A-Za-z'-]+", question.text)}
        asked = {t: written[t] for t in missing if t in written}
        words = sorted({w.lower() for w in re.findall(r"[A-Za-z]{3,}", passage)} - EN_STOPWORDS)
        if not asked or not words:
            return frozenset()
        vectors = self._embed([*asked.values(), *words])
        passage_vectors = np.stack([vectors[w] for w in words])
        return frozenset(t for t, word in asked.items()
                         if float(np.max(passage_vectors @ vectors[word])) >= NEAR)

    def _embed(self, words: list[str]) -> dict[str, np.ndarray]:
        """The vectors of ``words``, from the cache or embedded now (the cache is shared by the
        reader and the check, so the lookup never relies on it keeping what it held)."""
        wanted = list(dict.fromkeys(words))
        found = {w: self._vectors[w] for w in wanted if w in self._vectors}
        new = [w for w in wanted if w not in found]
        if new:
            assert self.embedder is not None
            embedded = dict(zip(new, np.asarray(self.embedder.embed(new)), strict=True))
            if len(self._vectors) + len(new) > _CACHE_LIMIT:
                self._vectors.clear()
            self._vectors.update(embedded)
            found.update(embedded)
        return found
