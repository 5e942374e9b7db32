"""Builds the parts of congming from settings: the one place the CLI, the Agent, the UI and
the HTTP API get them from."""

from __future__ import annotations

from agent.settings import Settings
from graph.embedding import create_embedder
from graph.extract import Extractor, create_extractor
from graph.ingest import Ingestor
from graph.knowledge import KnowledgeBase


def create_knowledge_extractor(settings: Settings) -> Extractor | None:
    """The entity extractor named by ``settings.knowledge.extractor`` (None for "none")."""
    name = settings.knowledge.extractor
    if name == "none":
        return None
    if name == "llm":
        from agent.llm import create_llm
        from agent.llm.structured import JsonCompleter

        return create_extractor("llm", llm=JsonCompleter(create_llm(settings.llm)))
    return create_extractor(name)


def open_knowledge(settings: Settings) -> tuple[KnowledgeBase, Ingestor]:
    """The knowledge base in ``settings.data_dir / "knowledge"``, opened, and an ingestor for it.

    The caller closes the knowledge base (``kb.close()``, or ``with kb:``).
    """
    knowledge = settings.knowledge
    embedder = create_embedder(settings.embedder.backend, settings.embedder.model,
                               batch_size=settings.embedder.batch_size,
                               device=settings.embedder.device)
    extractor = create_knowledge_extractor(settings)
    kb = KnowledgeBase(settings.data_dir / "knowledge", embedder,
                       hnsw_threshold=knowledge.hnsw_threshold)
    kb.open()
    ingestor = Ingestor(kb, extractor, chunk_size=knowledge.chunk_size,
                        overlap=knowledge.chunk_overlap, max_bytes=knowledge.max_file_bytes)
    return kb, ingestor
