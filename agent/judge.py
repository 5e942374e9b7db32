"""An LLM self-check: ask the model whether each claim follows from the evidence.

Used only when the agent is given a capable model as judge; small local models answer
yes to almost anything, so the default verification does not rely on one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agent.errors import CongmingError
from agent.llm.base import LLM, ChatMessage, GenerationOptions

_SYSTEM = (
    "You check facts. Given numbered evidence and one claim, reply with exactly one word: "
    "YES if the evidence states or directly implies the claim, NO otherwise (also when the "
    "evidence says nothing about it)."
)
_YES = re.compile(r"^\W*(yes|true|supported|是|对|支持)", re.IGNORECASE)
_NO = re.compile(r"^\W*(no|false|unsupported|not|否|不)", re.IGNORECASE)
_MAX_EVIDENCE_CHARS = 6000


def judge_prompt(claim: str, passages: Sequence[str]) -> list[ChatMessage]:
    evidence, used = [], 0
    for number, text in enumerate(passages, start=1):
        piece = f"[{number}] {text.strip()}"
        if used + len(piece) > _MAX_EVIDENCE_CHARS:
            break
        evidence.append(piece)
        used += len(piece)
    user = "Evidence:\n" + "\n".join(evidence) + f"\n\nClaim: {claim}\n\nIs the claim supported? YES or NO."
    return [ChatMessage("system", _SYSTEM), ChatMessage("user", user)]


def parse_verdict(reply: str) -> float | None:
    """1.0 for yes, 0.0 for no, None when the reply is neither."""
    if _YES.match(reply):
        return 1.0
    if _NO.match(reply):
        return 0.0
    return None


def judge_claims(judge: LLM, claims: Sequence[str], passages: Sequence[str]) -> list[float | None]:
    """One verdict per claim; a judge that fails gives no verdict instead of failing the turn."""
    options = GenerationOptions(max_tokens=3, temperature=0.0)
    verdicts: list[float | None] = []
    for claim in claims:
        try:
            verdicts.append(parse_verdict(judge.complete(judge_prompt(claim, passages), options)))
        except CongmingError:
            verdicts.append(None)
    return verdicts
