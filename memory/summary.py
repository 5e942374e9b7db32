"""Folding old turns into the rolling summary: an LLM summary, checked, with an extractive fallback."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from typing import NamedTuple

from memory.parts import Turn
from memory.types import CompletionOptions, MemoryModel, Message, TokenCounter

log = logging.getLogger(__name__)

SUMMARY_PROMPT = (
    "You keep a running summary of a conversation between a user and an assistant. "
    "Update the summary with the new turns. Rules: write plain sentences in the language of "
    "the conversation; keep names, numbers, dates, decisions and what the user said about "
    "themselves; use only facts stated in the text; no preamble, no headings, no lists; "
    "at most {words} words."
)
_LABEL = re.compile(r"^\s*(?:updated\s+)?summary\s*:\s*", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])")
_CJK = "\u3400-\u9fff\uf900-\ufaff"
_UNIT = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")
_SPACED_WORD = re.compile(rf"[^\W{_CJK}]")  # a character of a word written between spaces
MAX_SENTENCE_CHARS = 200


def first_sentence(text: str, max_chars: int = MAX_SENTENCE_CHARS) -> str:
    text = " ".join(text.split())
    sentence = _SENTENCE_END.split(text, maxsplit=1)[0] if text else ""
    if len(sentence) > max_chars:
        sentence = sentence[:max_chars].rsplit(" ", 1)[0] + "…"
    return sentence


def _units(text: str) -> list[str]:
    return [unit.lower() for unit in _UNIT.findall(text)]


def is_grounded(summary: str, source: str, min_share: float = 0.5) -> bool:
    """Whether most of the summary's words (CJK: characters) occur in the source."""
    units = _units(summary)
    if not units:
        return False
    known = set(_units(source))
    return sum(unit in known for unit in units) >= min_share * len(units)


def largest_fitting(n: int, fits: Callable[[int], bool]) -> int:
    """Largest k in 0..n with fits(k) (fits(0) is taken as true); binary search."""
    low, high = 0, n
    while low < high:
        mid = (low + high + 1) // 2
        if fits(mid):
            low = mid
        else:
            high = mid - 1
    return low


def trim_to_fit(text: str, fits: Callable[[str], bool]) -> str:
    """The longest tail of whole lines that fits; if no line fits, the newest line cut at a word."""
    if fits(text):
        return text
    lines = [line for line in text.split("\n") if line.strip()]
    keep = largest_fitting(len(lines), lambda k: fits("\n".join(lines[len(lines) - k:])))
    if keep:
        return "\n".join(lines[len(lines) - keep:])
    last = lines[-1] if lines else ""

    def cut(n: int) -> str:
        head = last[:n]
        inside_word = n < len(last) and all(_SPACED_WORD.match(c) for c in last[n - 1:n + 1])
        if inside_word and " " in head:
            head = head.rsplit(" ", 1)[0]
        return head.rstrip() + "…"

    size = largest_fitting(len(last) - 1, lambda n: n == 0 or fits(cut(n)))
    text = cut(size) if size else ""
    return "" if text == "…" else text


class Folded(NamedTuple):
    text: str
    source: str  # "none" (nothing to fold or no room), "llm" or "extractive"


def _transcript(turns: Sequence[Turn]) -> str:
    return "\n".join(f"User: {turn.user}\nAssistant: {turn.answer}" for turn in turns)


class Summarizer:
    """Folds turns into a summary of at most ``max_tokens`` tokens (one system message).

    With a model it asks for an abstractive summary and keeps it only when it is non-empty,
    short enough and grounded in the folded text; otherwise (no model, the prompt is over
    ``max_prompt_tokens``, the call fails, junk) it falls back to an extractive summary:
    the first sentence of each folded message, trimmed to fit.
    """

    def __init__(self, counter: TokenCounter, model: MemoryModel | None = None, *,
                 max_prompt_tokens: int | None = None) -> None:
        self.counter = counter
        self.model = model
        self.max_prompt_tokens = max_prompt_tokens

    def tokens(self, text: str) -> int:
        return self.counter.count_tokens([Message("system", text)])

    def fold(self, previous: str, turns: Sequence[Turn], max_tokens: int) -> Folded:
        """The previous summary and these turns, summarised in at most ``max_tokens`` tokens."""
        if max_tokens <= 0 or not (previous or turns):
            return Folded("", "none")
        abstractive = self._llm_summary(previous, turns, max_tokens) if self.model is not None else None
        if abstractive is not None:
            return Folded(abstractive, "llm")
        return Folded(self.extractive(previous, turns, max_tokens), "extractive")

    def extractive(self, previous: str, turns: Sequence[Turn], max_tokens: int) -> str:
        lines = [line for line in previous.split("\n") if line.strip()]
        for turn in turns:
            line = f"User: {first_sentence(turn.user)}"
            answer = first_sentence(turn.answer)
            lines.append(f"{line} Assistant: {answer}" if answer else line)
        return trim_to_fit("\n".join(lines), lambda text: self.tokens(text) <= max_tokens)

    def _llm_summary(self, previous: str, turns: Sequence[Turn], max_tokens: int) -> str | None:
        source = f"{previous}\n{_transcript(turns)}"
        words = max(8, max_tokens * 2 // 3)
        material = (f"Summary so far:\n{previous or '(none)'}\n\nNew turns:\n{_transcript(turns)}"
                    "\n\nUpdated summary:")
        prompt = [Message("system", SUMMARY_PROMPT.format(words=words)), Message("user", material)]
        try:
            if self.max_prompt_tokens is not None and (
                    self.counter.count_tokens(prompt) + max_tokens > self.max_prompt_tokens):
                log.info("summary prompt too long for the model; using the extractive summary")
                return None
            reply = self.model.complete(prompt, CompletionOptions(max_tokens=max_tokens))
        except Exception as exc:  # any model failure falls back; the conversation must go on
            log.warning("LLM summary failed (%s); using the extractive summary", exc)
            return None
        text = _LABEL.sub("", " ".join(reply.split()))
        if not text or self.tokens(text) > max_tokens or not is_grounded(text, source):
            log.info("LLM summary unusable (empty, too long or not grounded); using the extractive one")
            return None
        return text
