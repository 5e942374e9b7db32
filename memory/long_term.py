"""Long-term memory: remembered turns (episodic) and facts (semantic) behind one facade.

After a reply the agent calls ``schedule_turn``: the turn goes into the durable queue and
the call returns; the consolidator thread then stores the turn (``EpisodicMemory``) and
the facts the user stated in it (``FactMemory``). ``recall`` finds the user's facts and past
turns for a message; ``remember``, ``memories``, ``forget`` and ``forget_all`` are the
user's own controls. Every call names its user and touches nothing of anyone else's.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graph.errors import BackendUnavailableError, ConfigError, InputError
from graph.knowledge import KnowledgeBase
from graph.store import normalise_name
from graph.types import stable_id
from memory.consolidator import Consolidator
from memory.episodic import Episode, EpisodicMemory, episode_id, passage_of
from memory.fact_question import FactQuestion, asked_fact
from memory.fact_rules_never import stated
from memory.fact_text import NOTE, kin_noun
from memory.fact_vocab import RELATIVES_ZH, USER, relation_words
from memory.facts import kin_of
from memory.parts import Passage, PinnedFact
from memory.queue import Job, MemoryQueue

if TYPE_CHECKING:
    from memory.fact_extract import FactExtractor
    from memory.facts import Fact, FactMemory

log = logging.getLogger(__name__)

TURN_JOB = "turn"
MAX_NOTE_CHARS = 200  # a remembered note with no recognisable fact is kept verbatim up to this
MAX_EARLIER_CHARS = 1000  # each earlier message a turn's job keeps, for who "she" is
_REMEMBER_PREFIX = re.compile(
    r"^\s*(?:please\s+)?(?:remember|note)(?:\s+that)?[\s,:]+|^\s*(?:请)?记住[，,:：]?\s*", re.IGNORECASE)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def fact_passage(fact: Fact, kin: Mapping[str, Fact] | None = None) -> Passage:
    return Passage(fact.describe(kin) or fact.text, "memory", fact.id, at=fact.last_reinforced, kind="fact")


_ASKS_PAST = re.compile(r"\b(?:before|used to|previous(?:ly)?|former(?:ly)?|originally|earlier|in the past|"
                       r"at first|history)\b|以前|之前|原来|过去|曾经|先前|早先|原先", re.IGNORECASE)


_CHANGE = re.compile(r"\b(?:moved|moving|relocat\w*|now|no longer|changed|switched|started|left|quit|new|"
                     r"any ?more)\b|搬|现在|不再|换|跳槽|改|辞职|离开|入职", re.IGNORECASE)
# the user as the one who changed: "I", "we", 我 / 我们 (not "my sister", 我妹妹)
_CHANGE_SUBJECT_USER = re.compile(
    r"\b(?:i|i'm|i've|we|we're|we've)\b|我(?!的?(?:" + "|".join(map(re.escape, RELATIVES_ZH)) + "))",
    re.IGNORECASE)


def _names_of(subject: str, kin: Mapping[str, Fact]) -> list[str]:
    """How the user may speak of ``subject``: the name, its first word, the kin nouns."""
    names = {subject, subject.split()[0]}
    related = kin.get(normalise_name(subject))
    if related is not None:
        names |= {kin_noun(related.relation, chinese, related.text) for chinese in (False, True)}
    return sorted(n for n in names if n)


def _says_any(episode: Episode, values: Collection[str]) -> bool:
    if not values:
        return False
    said = normalise_name(" ".join(text for speaker, text in episode.messages if speaker == "user"))
    return any(v and v in said for v in values)


class LongTermMemory:
    """Turns in ``kb`` (its ``memory`` collection) and facts in ``facts``; jobs in a queue file
    (default ``kb.data_dir / "memory-queue.sqlite3"``). ``facts`` and ``extractor`` may be None:
    then only turns are remembered."""

    def __init__(self, kb: KnowledgeBase, facts: FactMemory | None = None,
                 extractor: FactExtractor | None = None, *, queue_path: str | Path | None = None,
                 clock: Callable[[], datetime] = _utc_now, episodic: EpisodicMemory | None = None,
                 owns_kb: bool = False, max_attempts: int = 5, backoff_s: float = 2.0) -> None:
        self.kb = kb
        self.facts = facts
        self.extractor = extractor
        self.clock = clock
        self.owns_kb = owns_kb
        self.episodic = episodic or EpisodicMemory(kb)
        self.queue = MemoryQueue(queue_path or Path(kb.data_dir) / "memory-queue.sqlite3")
        self.consolidator = Consolidator(self.queue, {TURN_JOB: self._consolidate_turn},
                                         max_attempts=max_attempts, backoff_s=backoff_s, on_idle=kb.save)

    # ---- lifecycle -----------------------------------------------------------------------
    def open(self, *, worker: bool = True) -> LongTermMemory:
        """Open the stores and, with ``worker``, start consolidating (replaying what a crash
        left in the queue). Without it, jobs wait for ``drain()`` or a later open."""
        if self.owns_kb:
            self.kb.open()
        self.queue.open()
        if worker:
            self.consolidator.start()
        return self

    def close(self, timeout: float = 30.0) -> None:
        """Finish the job in hand (the rest stay queued for the next start) and close."""
        self.consolidator.close(timeout)
        self.queue.close()
        if self.owns_kb:
            self.kb.close()
        else:
            self.kb.save()

    def __enter__(self) -> LongTermMemory:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until every queued job is done; False on timeout."""
        return self.consolidator.drain(timeout)

    @contextmanager
    def foreground(self) -> Iterator[None]:
        """Wrap the making of a reply: no memory job starts meanwhile."""
        with self.consolidator.foreground():
            yield

    # ---- writing turns -------------------------------------------------------------------
    def schedule_turn(self, user_id: str, session_id: str, user_text: str, answer: str, *, turn_id: str,
                      at: datetime | None = None, context: str = "", earlier: Sequence[str] = ()) -> str:
        """Queue a finished turn to be remembered; returns the job id at once. Facts are taken
        from what the user said, never from the answer; ``earlier``: the user's previous
        messages in the session, for who "she" and "my sister" are."""
        messages = [("user", user_text)] + ([("assistant", answer)] if answer.strip() else [])
        return self.schedule_messages(user_id, session_id, messages, turn_id=turn_id, at=at,
                                      context=context, facts_from=user_text, earlier=earlier)

    def schedule_messages(self, user_id: str, session_id: str, messages: Sequence[tuple[str, str]], *,
                          turn_id: str, at: datetime | None = None, context: str = "",
                          facts_from: str = "", earlier: Sequence[str] = ()) -> str:
        """Queue any exchange ((speaker, text) pairs) as one remembered turn; ``context`` is the
        message it answers (indexed with it, not shown); facts are read from ``facts_from``,
        with ``earlier`` messages of the conversation read for references only."""
        if not user_id or not session_id or not turn_id:
            raise InputError("schedule_turn needs a user_id, a session_id and a turn_id.")
        if not any(text.strip() for _, text in messages):
            raise InputError(f"Turn {turn_id!r} has no text to remember.")
        when = at or self.clock()
        payload = {"session_id": session_id, "turn_id": turn_id, "at": when.isoformat(),
                   "messages": [[speaker, text] for speaker, text in messages], "context": context,
                   "facts_from": facts_from, "earlier": [str(m)[:MAX_EARLIER_CHARS] for m in earlier[-4:]]}
        job_id = self.queue.enqueue(user_id, TURN_JOB, payload, key=episode_id(user_id, session_id, turn_id))
        self.consolidator.notify()
        return job_id

    def _consolidate_turn(self, job: Job, step_done: Callable[[str], None]) -> None:
        p = job.payload
        episode = Episode(user_id=job.user_id, session_id=p["session_id"], turn_id=p["turn_id"],
                          at=datetime.fromisoformat(p["at"]), context=p.get("context", ""),
                          messages=tuple((str(s), str(t)) for s, t in p["messages"]))
        if "episode" not in job.steps:
            self.episodic.store(episode)
            step_done("episode")
        said = p.get("facts_from", "")
        wanted = self.facts is not None and self.extractor is not None and said.strip()
        if wanted and "facts" not in job.steps:
            triples = self.extractor.extract(said, context=p.get("earlier", []),
                                             people=self.facts.people(job.user_id))
            if triples:  # observe() is idempotent per provenance: a replay changes nothing
                self.facts.observe(job.user_id, triples, provenance=episode.id, at=episode.at)
            step_done("facts")

    # ---- reading -------------------------------------------------------------------------
    def recall(self, user_id: str, query: str, *, k: int = 5, session_id: str | None = None,
               facts: int | None = None, exclude: Collection[str] = ()) -> list[Passage]:
        """Current facts matching ``query`` (up to ``facts``, default min(3, k)), then the ``k``
        best past turns as the user said them (the assistant's replies are never evidence; only
        ``session_id``'s when given; ``exclude`` leaves out turn ids
        already in the context)."""
        found: list[Passage] = []
        wanted_facts = min(3, k) if facts is None else facts
        told = None  # every fact of the user, ended ones too: read once, for kin and what is stale
        if self.facts is not None and wanted_facts > 0 and query.strip():
            told = self.facts.facts(user_id, include_history=True)
            kin = kin_of(told)
            found += [fact_passage(f, kin) for f in self.facts.recall(user_id, query, k=wanted_facts)
                      if f.current]
        turns = self.episodic.recall(user_id, query, k=k, session_id=session_id, exclude=exclude)
        stale = {} if _ASKS_PAST.search(query) else self._superseded_values(user_id, told)
        said = (passage_of(t.episode, leave_out=("assistant",)) for t in turns
                if not _says_any(t.episode, stale.get(t.episode.id, ())))
        return found + [p for p in said if p is not None]

    def _superseded_values(self, user_id: str, told: Sequence[Fact] | None = None) -> dict[str, set[str]]:
        """Per turn id, the values it told that no longer hold ("lives in Tamsbury" once the
        user moved): a turn saying one is not evidence for a question about now. ``told``: the
        user's facts, ended ones too, when already read."""
        if self.facts is None:
            return {}
        try:
            told = self.facts.facts(user_id, include_history=True) if told is None else told
        except BackendUnavailableError:  # the graph is down: the turns go unfiltered
            return {}
        holds = {(f.subject, f.relation, normalise_name(f.object)) for f in told if f.current}
        stale: dict[str, set[str]] = {}
        for f in told:
            if not f.current and (f.subject, f.relation, normalise_name(f.object)) not in holds:
                for turn in f.provenance:
                    stale.setdefault(turn, set()).add(normalise_name(f.object))
        return stale

    def told_answer(self, user_id: str, question: str) -> tuple[list[Passage], list[str]]:
        """When ``question`` asks for something the user told (``memory.fact_question``): the
        current facts that answer it as passages (the fact, then the user's own words) and
        their values; else two empty lists."""
        if self.facts is None or not question.strip():
            return [], []
        current = self.facts.facts(user_id)
        live = [f for f in current if f.strength >= self.facts.min_strength]
        kin = kin_of(current)
        asked = asked_fact(question, list(dict.fromkeys(f.subject for f in live)),
                           {f.object: f.relation for f in kin.values()})
        if asked is None:
            return [], []
        found = [f for f in live if f.subject == asked.subject and f.relation == asked.relation]
        passages = []
        for f in found:
            described = f.describe(kin)
            said = f.text if f.text and normalise_name(f.object) in normalise_name(f.text) else ""
            text = f"{described}\n{said}" if said and said != described else described
            passages.append(Passage(text, "memory", f.id, at=f.last_reinforced, kind="fact"))
        if found and (later := self._told_since(user_id, question, asked, kin, found)) is not None:
            return [*passages, later], []  # a change the rules did not read: quote both, choose neither
        return passages, [f.object for f in found]

    def _told_since(self, user_id: str, question: str, asked: FactQuestion, kin: Mapping[str, Fact],
                    found: Sequence[Fact]) -> Passage | None:
        """A turn said after the facts ``found`` that speaks of a change in the same relation of
        the same person, by name or kin noun ("we ended up relocating, Leeds is home now"), if
        any; "she" alone is not enough (it may be anyone)."""
        since = max(f.last_reinforced for f in found)
        names = _CHANGE_SUBJECT_USER if asked.subject == USER else re.compile(
            "|".join(re.escape(n) for n in _names_of(asked.subject, kin)), re.IGNORECASE)
        words = [w for w in relation_words(asked.relation).split() if len(w) > 2 or not w.isascii()]
        for turn in self.episodic.recall(user_id, question, k=5):
            if turn.episode.at <= since:
                continue
            said = stated(" ".join(text for speaker, text in turn.episode.messages if speaker == "user"))
            folded = said.casefold()
            if _CHANGE.search(said) and names.search(said) and any(w in folded for w in words):
                return passage_of(turn.episode, leave_out=("assistant",))
        return None

    def pinned_facts(self, user_id: str, *, limit: int = 8) -> list[PinnedFact]:
        """The user's strongest current facts, for the top of every prompt."""
        if self.facts is None or limit < 1:
            return []
        current = self.facts.facts(user_id)
        strong = [f for f in current if f.strength >= self.facts.min_strength]
        kin = kin_of(current)
        return [PinnedFact(f.describe(kin) or f.text, f.strength) for f in strong[:limit]]

    def memories(self, user_id: str, *, history: bool = False) -> list[Fact]:
        """The user's current facts, strongest first; with ``history`` the ended ones follow."""
        return [] if self.facts is None else self.facts.facts(user_id, include_history=history)

    def turns(self, user_id: str, *, session_id: str | None = None,
              limit: int | None = None) -> list[Episode]:
        return self.episodic.episodes(user_id, session_id=session_id, limit=limit)

    def pending(self, user_id: str | None = None) -> dict[str, int]:
        """Queued jobs by status (pending, running, failed), of one user or everyone."""
        counts = {"pending": 0, "running": 0, "failed": 0}
        for job in self.queue.jobs(user_id=user_id):
            counts[job.status] += 1
        return counts

    # ---- user control --------------------------------------------------------------------
    def remember(self, user_id: str, text: str) -> list[Fact]:
        """Store what the user asked to be remembered, now; the facts it gave. Text with no
        recognisable fact is kept as a note ("The user said ...")."""
        facts = self._require_facts()
        said = _REMEMBER_PREFIX.sub("", text).strip()
        if not said:
            raise InputError("Nothing to remember: give the text of the fact.")
        from memory.facts import Triple

        triples = self.extractor.extract(said, people=facts.people(user_id)) if self.extractor else []
        if not triples:
            if len(said) > MAX_NOTE_CHARS:
                raise InputError(f"No fact recognised, and as a note it is too long ({len(said)} characters, "
                                 f"at most {MAX_NOTE_CHARS}); say it in a shorter sentence.")
            triples = [Triple("user", NOTE, said, said)]
        now = self.clock()
        with self.consolidator.lock:
            changes = facts.observe(user_id, triples, provenance=stable_id("remember", user_id, said,
                                                                           now.isoformat()), at=now)
        return list({c.fact.id: c.fact for c in changes}.values())

    def forget(self, user_id: str, memory_id: str) -> bool:
        """Delete one fact ("fact-...") or remembered turn ("turn-...") for good."""
        with self.consolidator.lock:
            if self.facts is not None and self.facts.forget(user_id, memory_id):
                return True
            return self.episodic.forget(user_id, memory_id)

    def forget_all(self, user_id: str) -> int:
        """Delete everything remembered about the user - facts, turns, and turns still queued -
        for good; how many items went."""
        with self.consolidator.lock:  # between jobs: none of this user's can be half-written
            cancelled = self.queue.cancel(user_id)
            turns = self.episodic.forget_all(user_id)
            facts = self.facts.forget_all(user_id) if self.facts is not None else 0
        self.queue.checkpoint()
        return cancelled + turns + facts

    def _require_facts(self) -> Any:
        if self.facts is None:
            raise ConfigError("Facts are not kept by this memory (it was built without a FactMemory); "
                              "build LongTermMemory with facts=FactMemory(kb.graph).")
        return self.facts
