"""The Python API: ``from agent import Agent``.

An Agent is built from settings, or from explicit components (bring your own LLM or
knowledge base); nothing is loaded until ``open()`` (or the first call that needs it).
Every read and write names the user it is for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from agent.errors import InputError
from agent.llm import LLM
from agent.settings import DEFAULT_USER_ID, Settings
from graph.ingest import FileOutcome, Ingestor, IngestReport
from graph.knowledge import KnowledgeBase
from graph.retrieve import HybridRetriever, RetrievalResult, Signal
from graph.types import Document


class Agent:
    def __init__(self, settings: Settings | None = None, *, llm: LLM | None = None,
                 knowledge: KnowledgeBase | None = None, ingestor: Ingestor | None = None) -> None:
        if ingestor is not None and knowledge is not None and ingestor.kb is not knowledge:
            raise InputError("The ingestor must write to the knowledge base given with it.")
        self.settings = settings or Settings.load()
        self._llm = llm
        self._kb = knowledge or (ingestor.kb if ingestor is not None else None)
        self._ingestor = ingestor
        self._retriever: HybridRetriever | None = None
        self._owns_kb = self._kb is None

    # ---- lifecycle -----------------------------------------------------------------
    def open(self) -> Agent:
        """Open the knowledge base (building it from settings when none was given)."""
        if self._kb is None:
            from agent.components import open_knowledge

            self._kb, self._ingestor = open_knowledge(self.settings)
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
        if self._kb is not None and self._owns_kb:
            self._kb.close()
            self._kb, self._ingestor, self._retriever = None, None, None
        if self._llm is not None:
            self._llm.close()

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
