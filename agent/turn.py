"""One chat turn: gather evidence, prompt, stream, verify, remember (see ARCHITECTURE.md).

``TurnRunner.run`` is an async generator of events (agent/events.py). Blocking work
(retrieval, verification, the memory queue) runs in worker threads so an event loop
(Chainlit, FastAPI) is never blocked.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from agent.compare import read_comparison
from agent.compare_kind import read_kind
from agent.compute import compute_answer
from agent.degenerate import degenerate
from agent.discount import read_share
from agent.errors import BackendUnavailableError, CongmingError, InputError
from agent.events import (
    AnswerToken,
    Citation,
    Event,
    MemoryScheduled,
    ReasoningToken,
    Reply,
    RetrievalDone,
    TurnDone,
    TurnFailed,
    VerificationDone,
)
from agent.language import detect_language, follow_up_query, message_kind
from agent.llm.base import LLM, ChatMessage, GenerationOptions
from agent.options import DEFAULT_OPTIONS, TurnOptions
from agent.prompting import PromptSet, load_prompts
from agent.reader import Reader, Reading
from agent.reasoning import ReasoningSplitter
from agent.sessions import Sessions
from agent.settings import Settings
from memory.parts import Passage, PinnedFact
from memory.working import Headers

log = logging.getLogger(__name__)
EARLIER_TURNS = 4  # earlier messages a turn's fact reading sees, for who "she" and "my sister" are


@dataclass(frozen=True, slots=True)
class Gathered:
    """What the agent knows that bears on a message."""

    evidence: tuple[Passage, ...] = ()
    facts: tuple[PinnedFact, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(slots=True)
class _Turn:
    """What one turn is about, and its reply once made."""

    text: str
    user_id: str
    session_id: str
    language: str
    id: str
    notes: tuple[str, ...] = ()
    reply: Reply | None = None
    earlier: tuple[str, ...] = ()  # the user's previous messages in the session, newest last


@dataclass(slots=True)
class _Draft:
    reasoning: str = ""
    answer: str = ""
    tokens: int = 0


def clean_message(message: Any, max_chars: int) -> str:
    """The message as text fit to answer, or InputError saying what is wrong with it."""
    if not isinstance(message, str):
        raise InputError(f"The message must be text, not {type(message).__name__}.")
    # lone surrogates (broken UTF-16) become U+FFFD; control characters are dropped
    text = message.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    text = "".join(ch for ch in text if ch in "\n\t" or ch.isprintable()).strip()
    if not text:
        raise InputError("The message is empty: type something to ask or tell.")
    if len(text) > max_chars:
        raise InputError(f"The message has {len(text):,} characters; the limit is {max_chars:,} "
                         "(agent.max_message_chars). Ingest long text as a document instead.")
    return text


def normalise_answer(text: str) -> str:
    """The answer's words, for voting: citation marks, case and punctuation removed."""
    text = re.sub(r"\[\d+\]", "", text.lower())
    return " ".join(re.findall(r"\w+", text))


class TurnRunner:
    def __init__(self, *, llm: LLM, settings: Settings, verifier: Any, sessions: Sessions,
                 gather: Callable[[str, str, Sequence[str]], Gathered], memory: Any | None = None,
                 reader: Reader | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.llm = llm
        self.settings = settings
        self.verifier = verifier
        self.sessions = sessions
        self.gather = gather
        self.memory = memory
        self.reader = reader
        self.clock = clock

    async def run(self, message: Any, *, user_id: str, session_id: str,
                  evidence: Sequence[Passage] | None = None,
                  options: TurnOptions = DEFAULT_OPTIONS) -> AsyncIterator[Event]:
        started = time.perf_counter()
        try:
            async for event in self._run(message, user_id, session_id, evidence, options, started):
                yield event
        except CongmingError as exc:
            yield TurnFailed(exc)
        except Exception as exc:  # the turn fails; the caller's loop does not
            log.exception("chat turn failed")
            yield TurnFailed(CongmingError(f"The turn failed unexpectedly ({type(exc).__name__}: {exc}); "
                                           "nothing was remembered from it. See the log for details."))

    async def _run(self, message: Any, user_id: str, session_id: str, given: Sequence[Passage] | None,
                   options: TurnOptions, started: float) -> AsyncIterator[Event]:
        agent = self.settings.agent
        policy = options.policy or agent.policy
        chain_of_thought = options.chain_of_thought
        if chain_of_thought is None:
            chain_of_thought = agent.chain_of_thought
        text = clean_message(message, agent.max_message_chars)
        language = detect_language(text) if agent.language == "auto" else agent.language
        prompts = load_prompts(language)
        kind = message_kind(text)
        question = kind == "question"
        turn = _Turn(text, user_id, session_id, language, uuid.uuid4().hex)
        working = self.sessions.get(user_id, session_id)
        turn.earlier = tuple(t.user for t in working.turns[-EARLIER_TURNS:])

        computed = compute_answer(text, today=self.clock().date(), language=language) if question else None
        if computed is not None:  # exact: no retrieval, no model
            yield RetrievalDone((), (), (), 0.0)
            async for event in self._fixed(turn, computed.answer, "computed", working):
                yield event
            async for event in self._remember(turn, started):
                yield event
            return

        t0 = time.perf_counter()
        lookup = follow_up_query(text, working.turns[-1].user if working.turns else "")
        if given is None:
            in_context = [t.id for t in working.turns if t.id]
            gathered = await asyncio.to_thread(self.gather, lookup, user_id, in_context)
        else:
            gathered = Gathered(evidence=tuple(given))
        seconds = time.perf_counter() - t0
        turn.notes = gathered.notes

        author = self._author(options)
        if question and author == "reader":  # what is relevant is what the reader used
            search = None if given is not None else (
                lambda query: self.gather(query, user_id, ()).evidence)  # a second hop's search
            told = await asyncio.to_thread(self._told, text, user_id) if given is None else None
            if told is not None:  # asked for something the user told: the facts come first
                gathered = replace(gathered, evidence=told.evidence + gathered.evidence)
            evidence = gathered.evidence + _as_evidence(gathered.facts)
            reading, verification = await asyncio.to_thread(self._reading, text, lookup, evidence, search,
                                                            told)
            used = reading.cited if reading is not None else ()
            relevant = tuple(n - 1 for n in used if n <= len(gathered.evidence))
        else:
            relevant = await asyncio.to_thread(self._relevant, text, lookup, gathered.evidence)
        yield RetrievalDone(gathered.evidence, gathered.facts, relevant, seconds, gathered.notes)

        if question and author == "reader":
            events = self._read(turn, reading, verification, bool(evidence), prompts, working,
                                chain_of_thought)
        elif not question and author == "reader":
            events = self._fixed(turn, self._acknowledge(text, kind, prompts), "kept", working)
        elif question and not relevant and not gathered.facts and policy != "annotate":
            if agent.general_knowledge:
                events = self._write(turn, (), gathered, prompts, working, chain_of_thought, options,
                                     policy, question=True, own_knowledge=True)
            else:
                events = self._fixed(turn, prompts.message("no_evidence"), "no_evidence", None)
        else:
            shown = tuple(gathered.evidence[i] for i in relevant) if question else ()
            events = self._write(turn, shown, gathered, prompts, working, chain_of_thought, options, policy,
                                 question=question)
        async for event in events:
            yield event
        async for event in self._remember(turn, started):
            yield event

    def _author(self, options: TurnOptions) -> str:
        """Who writes this turn's answers: the reader or the LLM (agent.answerer)."""
        answerer = self.settings.agent.answerer
        if answerer != "auto":
            return answerer
        llm = options.llm or self.llm
        small = self.settings.llm.small if self.settings.llm.small is not None else llm.capabilities.small
        return "reader" if self.reader is not None and small else "llm"

    @staticmethod
    def _acknowledge(text: str, kind: str, prompts: PromptSet) -> str:
        """A statement or small talk, answered from templates (a small model would babble)."""
        if kind == "statement":
            return prompts.message("noted", statement=text if len(text) <= 300 else text[:300] + "…")
        lowered = text.lower()
        if re.search(r"thank|谢", lowered):
            return prompts.message("thanks")
        if re.search(r"\b(?:hi|hello|hey|good (?:morning|afternoon|evening))\b|你好|您好|早上好|晚上好|嗨",
                     lowered):
            return prompts.message("greeting")
        return prompts.message("smalltalk")

    async def _fixed(self, turn: _Turn, answer: str, action: str, working: Any) -> AsyncIterator[Event]:
        """A reply that needs no model: computed, acknowledged, or nothing found."""
        yield AnswerToken(answer)
        yield VerificationDone(answer, action, None, turn.id)
        if working is not None:
            working.add_turn(turn.text, answer, turn_id=turn.id)
        turn.reply = Reply(answer=answer, action=action, reasoning="", language=turn.language, citations=(),
                           evidence=(), verification=None, user_id=turn.user_id, session_id=turn.session_id,
                           turn_id=turn.id, tokens=0, seconds=0.0, notes=turn.notes)

    async def _read(self, turn: _Turn, reading: Any, verification: Any, found: bool, prompts: PromptSet,
                    working: Any, chain_of_thought: bool) -> AsyncIterator[Event]:
        """The evidence reader's answer (no LLM), checked like any other, or a decline."""
        if reading is None:
            action = "abstained" if found else "no_evidence"
            answer = prompts.message("abstain" if found else "no_evidence")
            async for event in self._fixed(turn, answer, action, working):
                yield event
            return
        if chain_of_thought:
            yield ReasoningToken(reading.trace)
        yield AnswerToken(reading.answer)
        evidence = reading.evidence
        citations = tuple(Citation(n, evidence[n - 1]) for n in reading.cited)
        for citation in citations:
            yield citation
        yield VerificationDone(reading.answer, "read", verification, turn.id)
        working.add_turn(turn.text, reading.answer, turn_id=turn.id)
        reasoning = reading.trace if chain_of_thought else ""
        turn.reply = Reply(answer=reading.answer, action="read", reasoning=reasoning,
                           language=turn.language, citations=citations, evidence=evidence,
                           verification=verification, user_id=turn.user_id, session_id=turn.session_id,
                           turn_id=turn.id, tokens=0, seconds=0.0, notes=turn.notes)

    def _told(self, text: str, user_id: str) -> Reading | None:
        """The answer from the user's current facts, when the question asks for one of them."""
        if self.memory is None or self.reader is None:
            return None
        try:
            passages, values = self.memory.told_answer(user_id, text)
        except BackendUnavailableError as exc:  # the graph holding the facts is down
            log.warning("Answers from remembered facts skipped: %s", exc)
            return None
        return self.reader.from_told(text, passages, values) if passages else None

    def _reading(self, text: str, lookup: str, evidence: tuple[Passage, ...],
                 search: Callable[[str], Sequence[Passage]] | None,
                 told: Reading | None = None) -> tuple[Any, Any]:
        """The reader's answer, if the check passes it: the short answer with its sentence must be
        supported by the evidence and carry the question's focus. ``told``: the answer from the
        user's facts, checked the same way against them."""
        if told is not None:
            checked = replace(told.evidence[0], text="\n".join(p.text for p in told.evidence))
            claim = f"{told.short}. {told.sentence}" if told.short else told.sentence
            verification = self.verifier.verify(claim, (checked,), question=text)
            if verification.grounded:
                return replace(told, evidence=evidence), verification
            log.info("answer from facts failed the check: %s", told.short)
        reading = None
        if evidence:
            reading = (read_comparison(self.reader, text, evidence, search)
                       or read_kind(text, evidence, search) or self.reader.read(text, evidence, search)
                       or read_share(text, evidence))
        if reading is None and lookup != text and evidence:
            reading = self.reader.read(lookup, evidence, search)
        if reading is None:
            return None, None
        claim = f"{reading.short}. {reading.sentence}" if reading.short else reading.sentence
        checked = reading.evidence[reading.passage - 1]
        if reading.link:  # a second hop: the linking sentence is part of the evidence for the answer
            checked = replace(checked, text=f"{reading.link}\n{checked.text}")
        verification = self.verifier.verify(claim, (checked,), question=text, quoted=True)
        if not (verification.grounded and verification.answered):
            log.info("reader answer failed the check: %s", claim)
            return None, None
        return reading, verification

    async def _write(self, turn: _Turn, shown: tuple[Passage, ...], gathered: Gathered, prompts: PromptSet,
                     working: Any, chain_of_thought: bool, options: TurnOptions, policy: str, *,
                     question: bool, own_knowledge: bool = False) -> AsyncIterator[Event]:
        """The LLM writes the reply; a question's answer is checked, degenerate text never shown."""
        asked = prompts.question_prompt(turn.text) if question else turn.text
        # reasoning (and its worked example) only for questions: small talk copies examples
        reasoning = chain_of_thought and question
        system = prompts.system_prompt(date=self.clock().date().isoformat(), chain_of_thought=reasoning)
        headers = Headers(prompts.message("facts_header"), prompts.message("summary_header"),
                          prompts.message("evidence_header"))
        context = working.build(asked, facts=gathered.facts, evidence=shown, system=system, headers=headers)
        messages = [ChatMessage(m.role, m.content) for m in context.messages]
        draft = _Draft()
        with self.memory.foreground() if self.memory is not None else nullcontext():
            async for event in self._generate(messages, prompts, draft, reasoning, options):
                yield event
        kept_facts = [fact for fact in gathered.facts if fact not in context.dropped_facts]
        checked = context.evidence + _as_evidence(kept_facts)
        broken = degenerate(draft.answer, question=turn.text, prompt=system)
        if own_knowledge and not broken:
            answer, action, verification, citations = (
                f"{prompts.message('own_knowledge')}\n{draft.answer.strip()}", "unchecked", None, ())
        elif broken:
            log.info("model reply not shown (%s)", broken)
            answer, action, verification, citations = (
                prompts.message("abstain" if question else "unusable"), "abstained", None, ())
        else:
            answer, action, verification, citations = await asyncio.to_thread(
                self._check, draft.answer, checked, turn.text, question, prompts, policy)
        for citation in citations:
            yield citation
        yield VerificationDone(answer, action, verification, turn.id)
        working.add_turn(turn.text, answer, turn_id=turn.id)
        turn.reply = Reply(answer=answer, action=action, reasoning=draft.reasoning, language=turn.language,
                           citations=citations, evidence=context.evidence, verification=verification,
                           user_id=turn.user_id, session_id=turn.session_id, turn_id=turn.id,
                           tokens=draft.tokens, seconds=0.0, notes=turn.notes)

    async def _remember(self, turn: _Turn, started: float) -> AsyncIterator[Event]:
        """After the reply: the turn goes to long-term memory (in the background), then TurnDone."""
        reply, job = turn.reply, None
        if self.memory is not None:
            job = await asyncio.to_thread(self.memory.schedule_turn, turn.user_id, turn.session_id, turn.text,
                                          reply.answer, turn_id=turn.id, at=self.clock(),
                                          earlier=turn.earlier)
            yield MemoryScheduled(job)
        yield TurnDone(replace(reply, memory_job=job, seconds=time.perf_counter() - started))

    def _relevant(self, text: str, lookup: str, evidence: tuple[Passage, ...]) -> tuple[int, ...]:
        """Passages relevant to the message, or to it read with the message it follows up."""
        if not evidence:
            return ()
        found = set(self.verifier.relevant(text, evidence))
        if lookup != text:
            found.update(self.verifier.relevant(lookup, evidence))
        return tuple(sorted(found))

    async def _generate(self, messages: list[ChatMessage], prompts: PromptSet, draft: _Draft,
                        reasoning: bool, turn: TurnOptions) -> AsyncIterator[Event]:
        """Stream the reply; ``reasoning``: the prompt asked for a Reasoning:/Answer: format."""
        llm_settings, agent = self.settings.llm, self.settings.agent
        llm = turn.llm or self.llm
        options = GenerationOptions(
            max_tokens=turn.max_tokens or llm_settings.max_tokens, stop=prompts.stop, seed=llm_settings.seed,
            temperature=llm_settings.temperature if turn.temperature is None else turn.temperature)
        if agent.self_consistency > 1:
            await self._vote(llm, messages, options, agent.self_consistency, draft, reasoning)
            if draft.reasoning:
                yield ReasoningToken(draft.reasoning)
            yield AnswerToken(draft.answer)
            return
        splitter = self._splitter(reasoning)
        async for piece in llm.astream(messages, options):
            draft.tokens += 1
            for event in _channel_events(splitter.feed(piece)):
                yield event
        for event in _channel_events(splitter.finish()):
            yield event
        draft.reasoning, draft.answer = splitter.reasoning, splitter.answer

    async def _vote(self, llm: LLM, messages: list[ChatMessage], options: GenerationOptions, samples: int,
                    draft: _Draft, reasoning: bool) -> None:
        """Self-consistency: several sampled reasonings, the most common answer wins (first on ties)."""
        drafts: list[tuple[str, str]] = []
        for i in range(samples):
            sample = replace(options, temperature=max(options.temperature, 0.7), seed=(options.seed or 0) + i)
            splitter = self._splitter(reasoning)
            async for piece in llm.astream(messages, sample):
                draft.tokens += 1
                splitter.feed(piece)
            splitter.finish()
            drafts.append((splitter.reasoning, splitter.answer))
        keys = [normalise_answer(answer) for _, answer in drafts]
        votes = Counter(keys)
        best = max(votes.values())
        draft.reasoning, draft.answer = drafts[next(i for i, key in enumerate(keys) if votes[key] == best)]

    @staticmethod
    def _splitter(reasoning: bool) -> ReasoningSplitter:
        english, chinese = load_prompts("en"), load_prompts("zh")
        return ReasoningSplitter(english.reasoning_labels + chinese.reasoning_labels,
                                 english.answer_labels + chinese.answer_labels, chain_of_thought=reasoning)

    def _check(self, answer: str, evidence: tuple[Passage, ...], text: str, question: bool,
               prompts: PromptSet, policy: str) -> tuple[str, str, Any, tuple[Citation, ...]]:
        from agent.verification import apply_policy

        if not question:  # small talk or a statement: nothing was asked, nothing to check
            return (answer or prompts.message("abstain")), "kept", None, ()
        verification = self.verifier.verify(answer, evidence, question=text)
        outcome = apply_policy(verification, policy, evidence, language=prompts.language,
                               messages=prompts.messages)
        citations = tuple(Citation(n, evidence[n - 1]) for n in outcome.citations if 0 < n <= len(evidence))
        return outcome.text, outcome.action, verification, citations


def _as_evidence(facts: Sequence[PinnedFact]) -> tuple[Passage, ...]:
    """Pinned facts about the user as passages to check answers against (and to cite)."""
    return tuple(Passage(f.text, "memory", kind="fact") for f in facts)


def _channel_events(pieces: list[tuple[str, str]]) -> list[Event]:
    return [ReasoningToken(text) if channel == "reasoning" else AnswerToken(text) for channel, text in pieces]
