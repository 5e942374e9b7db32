"""The Python API: ``from agent import Agent``.

An Agent is built from settings, or from explicit components (bring your own LLM or
knowledge base); nothing is loaded until ``open()`` (or the first call that needs it).
Every read and write names the user it is for.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from agent.errors import BackendUnavailableError, InputError
from agent.events import Event, Reply, TurnDone, TurnFailed
from agent.llm import LLM
from agent.options import DEFAULT_OPTIONS, TurnOptions
from agent.settings import DEFAULT_USER_ID, Settings
from agent.turn import Gathered, TurnRunner
from graph.ingest import FileOutcome, Ingestor, IngestReport
from graph.knowledge import KnowledgeBase
from graph.retrieve import HybridRetriever, RetrievalResult, Signal
from graph.types import Document
from memory.parts import Passage, Turn

log = logging.getLogger(__name__)

DEFAULT_SESSION_ID = "default"


def _passage(item: Any) -> Passage:
    document = item.document
    source = (document.title or Path(document.source).name) if document is not None else ""
    return Passage(item.chunk.text, source, item.chunk.id)


def _run_in_thread(call: Any) -> Any:
    """Run a coroutine to completion on a fresh event loop in another thread."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = asyncio.run(call)
        except BaseException as exc:  # re-raised in the caller's thread
            outcome["error"] = exc

    worker = threading.Thread(target=target, name="congming-chat")
    worker.start()
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


class Agent:
    def __init__(self, settings: Settings | None = None, *, llm: LLM | None = None,
                 knowledge: KnowledgeBase | None = None, ingestor: Ingestor | None = None,
                 neo4j_driver: Any = None) -> None:
        if ingestor is not None and knowledge is not None and ingestor.kb is not knowledge:
            raise InputError("The ingestor must write to the knowledge base given with it.")
        self.settings = settings or Settings.load()
        self._llm = llm
        self._kb = knowledge or (ingestor.kb if ingestor is not None else None)
        self._ingestor = ingestor
        self._retriever: HybridRetriever | None = None
        self._owns_kb = self._kb is None
        self._neo4j_driver = neo4j_driver  # the application's own driver; never closed here
        self._runner: TurnRunner | None = None
        self._runner_lock = threading.Lock()
        self._memory: Any = None  # LongTermMemory once opened (None also when memory is off)
        self._memory_opened = False
        self._memory_lock = threading.Lock()

    # ---- lifecycle -----------------------------------------------------------------
    def open(self) -> Agent:
        """Open the knowledge base (building it from settings when none was given)."""
        if self._kb is None:
            from agent.components import open_knowledge

            self._kb, self._ingestor = open_knowledge(self.settings, driver=self._neo4j_driver)
        elif self._ingestor is None:
            from agent.components import create_knowledge_extractor

            self._kb.open()
            knowledge = self.settings.knowledge
            self._ingestor = Ingestor(self._kb, create_knowledge_extractor(self.settings),
                                      chunk_size=knowledge.chunk_size, overlap=knowledge.chunk_overlap,
                                      max_bytes=knowledge.max_file_bytes)
        if self._retriever is None:
            self._retriever = HybridRetriever(self._kb)
        return self

    def close(self) -> None:
        self.close_memory()  # first: its writer uses the knowledge base's graph
        if self._kb is not None and self._owns_kb:
            self._kb.close()
            self._kb, self._ingestor, self._retriever = None, None, None
        if self._llm is not None:
            self._llm.close()
        self._runner = None

    def __enter__(self) -> Agent:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def llm(self) -> LLM:
        if self._llm is None:
            from agent.llm import create_llm

            self._llm = create_llm(self.settings.llm)
        return self._llm

    @property
    def knowledge(self) -> KnowledgeBase:
        self.open()
        return self._kb

    # ---- knowledge ------------------------------------------------------------------
    def ingest(self, paths: str | Path | Iterable[str | Path], *, user_id: str = DEFAULT_USER_ID,
               collection: str = "default",
               on_file: Callable[[FileOutcome], None] | None = None) -> IngestReport:
        """Read files and folders into this user's knowledge; bad files are reported, not fatal."""
        self.open()
        if isinstance(paths, str | Path):
            paths = [paths]
        return self._ingestor.ingest_files(paths, user_id=user_id, collection=collection, on_file=on_file)

    def ingest_text(self, text: str, *, source: str, title: str = "", user_id: str = DEFAULT_USER_ID,
                    collection: str = "default") -> FileOutcome:
        """Ingest text that is not in a file; ``source`` is its stable name (re-ingest replaces)."""
        self.open()
        outcome = self._ingestor.ingest_text(text, user_id=user_id, source=source, title=title,
                                             collection=collection)
        self._kb.save()
        return outcome

    def documents(self, *, user_id: str = DEFAULT_USER_ID) -> list[Document]:
        self.open()
        return self._kb.documents.list_documents(user_id)

    def forget_document(self, document_id: str, *, user_id: str = DEFAULT_USER_ID) -> bool:
        """Remove a document completely (chunks, keyword rows, vectors, graph provenance)."""
        self.open()
        return self._ingestor.forget_document(user_id, document_id)

    def retrieve(self, query: str, *, user_id: str = DEFAULT_USER_ID, k: int = 5,
                 collection: str | None = None, signals: Iterable[Signal] | None = None) -> RetrievalResult:
        """Hybrid retrieval (dense + BM25 + graph) over this user's knowledge."""
        self.open()
        return self._retriever.retrieve(query, user_id=user_id, k=k, collection=collection,
                                        signals=tuple(signals) if signals else None)

    # ---- chat -------------------------------------------------------------------------
    async def stream(self, message: str, *, user_id: str = DEFAULT_USER_ID,
                     session_id: str = DEFAULT_SESSION_ID, evidence: Sequence[Passage] | None = None,
                     options: TurnOptions = DEFAULT_OPTIONS) -> AsyncIterator[Event]:
        """One chat turn as typed events (agent/events.py), ending with TurnDone or TurnFailed.

        ``evidence`` given: answer from exactly these passages, without retrieval. ``options``:
        this turn's temperature, policy, chain of thought or model, instead of the settings'.
        """
        runner = await asyncio.to_thread(self.turn_runner)
        async for event in runner.run(message, user_id=user_id, session_id=session_id, evidence=evidence,
                                      options=options):
            yield event

    async def achat(self, message: str, *, user_id: str = DEFAULT_USER_ID,
                    session_id: str = DEFAULT_SESSION_ID, evidence: Sequence[Passage] | None = None,
                    options: TurnOptions = DEFAULT_OPTIONS) -> Reply:
        """One chat turn; the final reply, or the turn's error raised."""
        async for event in self.stream(message, user_id=user_id, session_id=session_id, evidence=evidence,
                                       options=options):
            if isinstance(event, TurnDone):
                return event.reply
            if isinstance(event, TurnFailed):
                raise event.error
        raise RuntimeError("the turn ended without a result")  # TurnRunner always ends with one

    def chat(self, message: str, *, user_id: str = DEFAULT_USER_ID, session_id: str = DEFAULT_SESSION_ID,
             evidence: Sequence[Passage] | None = None, options: TurnOptions = DEFAULT_OPTIONS) -> Reply:
        """The sync facade of ``achat``; safe to call from code running inside an event loop."""
        call = self.achat(message, user_id=user_id, session_id=session_id, evidence=evidence, options=options)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(call)
        return _run_in_thread(call)

    def resume_session(self, turns: Sequence[Turn], *, user_id: str = DEFAULT_USER_ID,
                       session_id: str = DEFAULT_SESSION_ID) -> bool:
        """Put a conversation's recent turns (oldest first) back into the session's working
        memory, if it has none (after a restart); returns whether it did."""
        return self.turn_runner().sessions.restore(user_id, session_id, turns)

    def reset_session(self, *, user_id: str = DEFAULT_USER_ID, session_id: str = DEFAULT_SESSION_ID) -> None:
        """Start the session's working memory afresh (long-term memory is kept)."""
        self.turn_runner().sessions.reset(user_id, session_id)

    def turn_runner(self) -> TurnRunner:
        """The chat pipeline, built on first use (this loads the model and the embedder)."""
        with self._runner_lock:
            if self._runner is None:
                self._runner = self._build_runner()
            return self._runner

    def _build_runner(self) -> TurnRunner:
        from agent.memory_port import MemoryModelPort
        from agent.reader import Reader
        from agent.sessions import Sessions
        from agent.verification import Verifier
        from agent.word_meaning import WordMeaning

        self.open()
        llm = self.llm
        llm.open()
        self._kb.embed(["warm up"])  # load the embedder now, not on the first message
        reserve = min(self.settings.llm.max_tokens, llm.capabilities.max_context // 4)
        sessions = Sessions(MemoryModelPort(llm), budget=llm.capabilities.max_context - reserve)
        judge = llm if self.settings.agent.self_check else None
        meaning = WordMeaning(self._kb.embedder)  # one cache of word vectors for the reader and the check
        return TurnRunner(llm=llm, settings=self.settings,
                          verifier=Verifier(self._kb.embedder, judge=judge, meaning=meaning),
                          sessions=sessions, gather=self._gather, memory=self.memory,
                          reader=Reader(self._kb.embedder, meaning))

    def _gather(self, message: str, user_id: str, session_turns: Sequence[str] = ()) -> Gathered:
        """Documents, then remembered facts and turns (not those already in the session's
        context), and the user's strongest facts to pin."""
        agent, evidence, notes = self.settings.agent, [], ()
        if agent.evidence_k:
            found = self.retrieve(message, user_id=user_id, k=agent.evidence_k)
            evidence += [_passage(item) for item in found.items]
            notes = tuple(f"{signal} retrieval skipped: {why}" for signal, why in found.skipped.items())
        memory, pinned = self.memory, []
        if memory is not None:
            try:
                if agent.memory_k:
                    evidence += memory.recall(user_id, message, k=agent.memory_k, exclude=session_turns)
                pinned = memory.pinned_facts(user_id, limit=self.settings.memory.pinned_facts)
            except BackendUnavailableError as exc:  # the graph holding the facts is down: turns only
                log.warning("Remembered facts skipped: %s", exc)
                notes += (f"remembered facts skipped: {exc}",)
                if agent.memory_k:
                    evidence += memory.recall(user_id, message, k=agent.memory_k, exclude=session_turns,
                                              facts=0)
        return Gathered(evidence=tuple(evidence), facts=tuple(pinned), notes=notes)

    # ---- long-term memory -------------------------------------------------------------
    @property
    def memory(self) -> Any:
        """Long-term memory (``memory.long_term.LongTermMemory``: remembered turns and facts),
        opened on first use with its background writer; None when ``memory.enabled`` is off."""
        with self._memory_lock:
            if not self._memory_opened:
                from agent.components import open_memory

                self.open()
                llm = self.llm if self.settings.memory.extractor == "llm" else None
                self._memory = open_memory(self.settings, self._kb, llm=llm)
                self._memory_opened = True
            return self._memory

    def _long_term(self) -> Any:
        memory = self.memory
        if memory is None:
            from agent.errors import ConfigError

            raise ConfigError("Long-term memory is off (memory.enabled = false); set "
                              "CONGMING_MEMORY__ENABLED=true to use it.")
        return memory

    def remember(self, text: str, *, user_id: str = DEFAULT_USER_ID) -> list[Any]:
        """Remember a fact the user states, now (not after a chat turn); the facts it gave."""
        return self._long_term().remember(user_id, text)

    def memories(self, *, user_id: str = DEFAULT_USER_ID, history: bool = False) -> list[Any]:
        """What is remembered about the user: current facts, strongest first; with ``history``
        the values that no longer hold follow (``valid_from``..``valid_to``), newest first."""
        return self._long_term().memories(user_id, history=history)

    def forget(self, fact_id: str | None = None, *, user_id: str = DEFAULT_USER_ID,
               everything: bool = False) -> bool | int:
        """Delete one fact (or remembered turn) by id - True if it was there - or, with
        ``everything=True``, all the user's facts, turns and queued turns (how many), for good."""
        if everything == (fact_id is not None):
            raise InputError("Pass either the id of one memory or everything=True.")
        memory = self._long_term()
        if not everything:
            return memory.forget(user_id, fact_id)
        removed = memory.forget_all(user_id)
        if self._runner is not None:  # the open sessions' working memory forgets too
            self._runner.sessions.forget_user(user_id)
        return removed

    def close_memory(self) -> None:
        """Finish the memory write in hand and close long-term memory (queued ones wait for
        the next start)."""
        with self._memory_lock:
            memory, self._memory, self._memory_opened = self._memory, None, False
            if memory is not None:
                memory.close()
