"""The typed events of one chat turn, in the order they are emitted.

``Agent.stream`` yields them; the UI and the HTTP API only translate them.
A turn always ends with exactly one ``TurnDone`` or one ``TurnFailed``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from memory.parts import Passage, PinnedFact

if TYPE_CHECKING:
    from agent.verification import Verification

# kept / annotated / extractive / abstained: the policy's verdict on an answer (agent/grounding_policy.py);
# read: the evidence reader's answer, checked; computed: worked out by code (arithmetic, units, dates);
# unchecked: the model's own knowledge, labelled so (agent.general_knowledge); no_evidence: nothing found.
Action = Literal["kept", "annotated", "extractive", "abstained", "no_evidence", "read", "computed",
                 "unchecked"]


@dataclass(frozen=True, slots=True)
class RetrievalDone:
    evidence: tuple[Passage, ...]  # what was found, best first (documents, then remembered turns)
    facts: tuple[PinnedFact, ...]  # pinned facts about the user
    relevant: tuple[int, ...]  # indices into ``evidence`` judged to bear on the question
    seconds: float
    notes: tuple[str, ...] = ()  # e.g. a retrieval signal that was skipped and why


@dataclass(frozen=True, slots=True)
class ReasoningToken:
    text: str  # chain-of-thought; shown by the UI, never fed into later turns


@dataclass(frozen=True, slots=True)
class AnswerToken:
    text: str  # the draft answer as it streams; VerificationDone has the final text


@dataclass(frozen=True, slots=True)
class Citation:
    number: int  # [number] in the answer
    passage: Passage


@dataclass(frozen=True, slots=True)
class VerificationDone:
    answer: str  # the final answer after the policy (replaces the streamed draft)
    action: Action
    verification: Verification | None  # None when the message asked nothing to verify
    turn_id: str = ""  # the turn's id in memory (Reply.turn_id)


@dataclass(frozen=True, slots=True)
class MemoryScheduled:
    job_id: str  # the consolidation job that will store this turn and its facts


@dataclass(frozen=True, slots=True)
class Reply:
    answer: str
    action: Action
    reasoning: str
    language: str
    citations: tuple[Citation, ...]
    evidence: tuple[Passage, ...]  # the passages the model saw, numbered from 1
    verification: Verification | None
    user_id: str
    session_id: str
    turn_id: str
    tokens: int  # generated tokens (all samples)
    seconds: float
    memory_job: str | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def abstained(self) -> bool:
        return self.action in ("abstained", "no_evidence")


@dataclass(frozen=True, slots=True)
class TurnDone:
    reply: Reply


@dataclass(frozen=True, slots=True)
class TurnFailed:
    error: Exception  # a CongmingError with a message that says what to do

    @property
    def message(self) -> str:
        return str(self.error)


Event = (RetrievalDone | ReasoningToken | AnswerToken | Citation | VerificationDone | MemoryScheduled
         | TurnDone | TurnFailed)
