"""What to do with an answer after verification: keep, annotate, quote the evidence, or abstain."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from agent.claims import Language, split_sentences
from agent.errors import ConfigError, InputError
from agent.prompting import LANGUAGES, load_prompts
from agent.support import sentence_terms
from graph.cjk import has_cjk
from memory.parts import Passage

if TYPE_CHECKING:
    from agent.verification import Verification

Policy = Literal["annotate", "extractive", "abstain"]
Action = Literal["kept", "annotated", "extractive", "abstained"]
POLICIES: tuple[str, ...] = ("annotate", "extractive", "abstain")

@dataclass(frozen=True, slots=True)
class PolicyOutcome:
    text: str
    action: Action
    citations: tuple[int, ...]  # 1-based evidence numbers the text cites


def _messages(language: str, overrides: Mapping[str, str] | None) -> dict[str, str]:
    """The replies in agent/prompts/<language>/messages.toml, with ``overrides`` on top."""
    if language not in LANGUAGES:
        raise InputError(f"language must be one of {sorted(LANGUAGES)}, got {language!r}.")
    return {**load_prompts(language).messages, **(overrides or {})}


def _marks(citations: Sequence[int]) -> str:
    return "".join(f"[{n}]" for n in citations)


def annotate(verification: Verification, answer_text: str, unsupported_mark: str) -> PolicyOutcome:
    """The answer with ``[n]`` after supported sentences and a mark after unsupported ones."""
    pieces, cursor, cited = [], 0, []
    for check in verification.sentences:
        if not check.claim:
            continue
        written = {int(n) for n in re.findall(r"\[(\d+)\]", check.text)}  # marks the model wrote itself
        new = [n for n in check.citations if n not in written]
        mark = _marks(new) if check.supported else unsupported_mark
        if not mark:
            cited += [n for n in check.citations if check.supported]
            continue
        insert_at = _before_terminal(answer_text, check.start, check.end)
        separator = "" if check.supported or has_cjk(check.text) else " "
        pieces.append(answer_text[cursor:insert_at] + separator + mark)
        cursor = insert_at
        cited += [n for n in check.citations if check.supported]
    pieces.append(answer_text[cursor:])
    text = "".join(pieces)
    return PolicyOutcome(text, "annotated" if text != answer_text else "kept", tuple(dict.fromkeys(cited)))


def _before_terminal(text: str, start: int, end: int) -> int:
    """Where a mark goes: before the sentence's closing punctuation, if it has any."""
    position = end
    while position > start and text[position - 1] in ".!?。！？；;…\"'”’)）":
        position -= 1
    return position if position > start else end


def best_evidence(verification: Verification, evidence: Sequence[Passage],
                  limit: int = 2) -> list[tuple[int, str]]:
    """(1-based passage number, sentence) pairs from the evidence that best match the answer."""
    wanted = {t for check in verification.sentences for t in sentence_terms(check.text)}
    scored = []
    for number, passage in enumerate(evidence, start=1):
        for span in split_sentences(passage.text):
            terms = set(sentence_terms(span.text))
            if terms:
                overlap = len(terms & wanted) / (len(terms) ** 0.5)
                scored.append((overlap, -number, number, span.text))
    scored.sort(reverse=True)
    picked = [(number, text) for overlap, _, number, text in scored if overlap > 0][:limit]
    return picked


def extractive(verification: Verification, evidence: Sequence[Passage],
               texts: Mapping[str, str]) -> PolicyOutcome | None:
    picked = best_evidence(verification, evidence)
    if not picked:
        return None
    lines = [f"“{text}” [{number}]" for number, text in picked]
    return PolicyOutcome(texts["extractive"] + "\n" + "\n".join(lines), "extractive",
                         tuple(dict.fromkeys(number for number, _ in picked)))


def apply_policy(verification: Verification, policy: Policy, evidence: Sequence[Passage], *,
                 language: Language = "en", messages: Mapping[str, str] | None = None) -> PolicyOutcome:
    """The final answer under ``policy``.

    annotate: keep the answer, cite supported sentences, mark unsupported ones.
    extractive: a grounded answer is kept with its citations; otherwise quote the best
    matching evidence sentences (or abstain when nothing matches).
    abstain: a grounded answer is kept with its citations; otherwise say it does not know.
    Under both, an answer that does not give what the question asks for (a number, a date)
    counts as not grounded.
    """
    if policy not in POLICIES:
        raise ConfigError(f"policy must be one of {POLICIES}, got {policy!r}; set CONGMING_AGENT__POLICY.")
    texts = _messages(language, messages)
    text = verification.answer or _rebuild(verification)
    if policy == "annotate":
        return annotate(verification, text, texts["unsupported"])
    if verification.grounded and verification.answered:
        return annotate(verification, text, texts["unsupported"])
    if policy == "extractive":
        outcome = extractive(verification, evidence, texts)
        if outcome is not None:
            return outcome
    return PolicyOutcome(texts["abstain"], "abstained", ())


def _rebuild(verification: Verification) -> str:
    """The answer text from its sentences, with the original spacing between them."""
    out, cursor = [], 0
    for check in verification.sentences:
        out.append(" " * max(check.start - cursor, 0) if out else "")
        out.append(check.text)
        cursor = check.end
    return "".join(out)
