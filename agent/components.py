"""Builds the parts of congming from settings: the one place the CLI, the Agent, the UI and
the HTTP API get them from."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent.errors import ConfigError
from agent.settings import GraphSettings, Settings
from graph.embedding import Embedder, create_embedder
from graph.extract import Extractor, create_extractor
from graph.ingest import Ingestor
from graph.knowledge import KnowledgeBase
from graph.store import GraphStore


def _embedded_graph(settings: GraphSettings, driver: Any) -> None:
    if driver is not None:
        raise ConfigError("A Neo4j driver was passed but graph.backend is 'sqlite'; set "
                          "CONGMING_GRAPH__BACKEND=neo4j to use it.")
    return None  # the knowledge base keeps its graph in its own SQLite file


def _neo4j_graph(settings: GraphSettings, driver: Any) -> GraphStore:
    from graph.neo4j_store import Neo4jGraphStore

    if driver is None and not settings.uri:
        raise ConfigError("graph.backend is 'neo4j' but no server is set: set CONGMING_GRAPH__URI "
                          "(e.g. neo4j://localhost:7687) and CONGMING_GRAPH__PASSWORD, or pass driver=.")
    password = settings.password.get_secret_value() if settings.password else ""
    return Neo4jGraphStore(settings.uri, settings.user, password, database=settings.database,
                           driver=driver, query_timeout_s=settings.query_timeout_s)


# name -> builder(graph settings, caller's driver or None) -> a graph store (None: the embedded one)
GRAPH_BACKENDS: dict[str, Callable[[GraphSettings, Any], GraphStore | None]] = {
    "sqlite": _embedded_graph,
    "neo4j": _neo4j_graph,
}


def create_graph_store(settings: GraphSettings, driver: Any = None) -> GraphStore | None:
    """The (unopened) graph store named by ``settings.backend``; None for the embedded SQLite one."""
    build = GRAPH_BACKENDS.get(settings.backend)
    if build is None:
        raise ConfigError(f"Unknown graph backend {settings.backend!r}; set CONGMING_GRAPH__BACKEND "
                          f"to one of {sorted(GRAPH_BACKENDS)}.")
    return build(settings, driver)


def create_knowledge_base(settings: Settings, embedder: Embedder, driver: Any = None) -> KnowledgeBase:
    """The (unopened) knowledge base in ``settings.data_dir / "knowledge"`` with the configured
    graph backend and, for Neo4j with ``graph.native_indexes``, its vector and full-text indexes."""
    graph_settings = settings.graph
    graph = create_graph_store(graph_settings, driver)
    if graph_settings.native_indexes and graph is None:
        raise ConfigError("graph.native_indexes needs graph.backend 'neo4j' (set "
                          "CONGMING_GRAPH__BACKEND=neo4j, or CONGMING_GRAPH__NATIVE_INDEXES=false).")
    vector_index, keywords = None, None
    if graph_settings.native_indexes:
        from graph.neo4j_chunks import Neo4jChunkIndexes

        native = Neo4jChunkIndexes(graph, embedder.dim,
                                   lambda user, ids: kb.documents.chunks_by_rowid(user, ids),
                                   texts_by_rowid=lambda ids: kb.documents.texts_by_rowid(ids))
        vector_index, keywords = native.vector_index, native.keyword_index()
    kb = KnowledgeBase(settings.data_dir / "knowledge", embedder,
                       hnsw_threshold=settings.knowledge.hnsw_threshold, graph=graph,
                       vector_index=vector_index, keywords=keywords,
                       degrade_graph=graph_settings.degrade and not graph_settings.native_indexes)
    return kb


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


def open_knowledge(settings: Settings, driver: Any = None) -> tuple[KnowledgeBase, Ingestor]:
    """The knowledge base in ``settings.data_dir / "knowledge"``, opened, and an ingestor for it.

    Its graph is the one ``settings.graph.backend`` names; pass ``driver=`` (an open
    ``neo4j.Driver``) to use the application's own Neo4j driver, which is never closed here.
    With ``graph.degrade`` a Neo4j that is down at open leaves ``kb.graph_error`` set and the
    retriever answers from vectors and keywords. The caller closes the knowledge base
    (``kb.close()``, or ``with kb:``).
    """
    knowledge = settings.knowledge
    embedder = create_embedder(settings.embedder.backend, settings.embedder.model,
                               batch_size=settings.embedder.batch_size,
                               device=settings.embedder.device)
    extractor = create_knowledge_extractor(settings)
    kb = create_knowledge_base(settings, embedder, driver)
    kb.open()
    ingestor = Ingestor(kb, extractor, chunk_size=knowledge.chunk_size,
                        overlap=knowledge.chunk_overlap, max_bytes=knowledge.max_file_bytes)
    return kb, ingestor


def ask_graph_refusal(settings: Settings) -> str | None:
    """Why asking the graph in Cypher is off for these settings, or None when it is allowed."""
    if not settings.graph.ask_graph:
        return "asking the graph is off; set CONGMING_GRAPH__ASK_GRAPH=true (for a capable model)."
    if settings.graph.backend != "neo4j":
        return "asking the graph needs graph.backend 'neo4j' (Cypher runs on Neo4j)."
    if settings.llm.backend == "llamacpp" and not settings.llm.model:
        return ("the packaged SmolLM2-135M model cannot write Cypher; configure a bigger model "
                "(CONGMING_LLM__BACKEND=openai with CONGMING_LLM__MODEL, or a larger GGUF).")
    return None


def create_graph_asker(settings: Settings, llm: Any, kb: KnowledgeBase) -> Any:
    """The read-only text-to-Cypher asker over ``kb``'s Neo4j graph, when the settings allow it
    (``ask_graph_refusal``); ConfigError with the reason otherwise."""
    from agent.llm.structured import JsonCompleter
    from graph.ask_graph import GraphAsker

    refusal = ask_graph_refusal(settings)
    if refusal is not None:
        raise ConfigError(f"Cannot ask the graph: {refusal}")
    return GraphAsker(JsonCompleter(llm), kb.graph, timeout_s=min(settings.graph.query_timeout_s, 30.0))


def open_memory(settings: Settings, kb: KnowledgeBase, *, llm: Any = None, worker: bool = True) -> Any:
    """Long-term memory (``memory.long_term.LongTermMemory``), opened; None when
    ``memory.enabled`` is off. Turns go to their own knowledge base in ``data_dir / "memory"``
    (sharing ``kb``'s embedder), so document retrieval never returns them; facts go to ``kb``'s
    graph. ``llm`` is needed for ``memory.extractor = "llm"``. The caller closes it."""
    from memory.fact_extract import create_fact_extractor
    from memory.facts import FactMemory
    from memory.long_term import LongTermMemory

    memory = settings.memory
    if not memory.enabled:
        return None
    model = None
    if memory.extractor == "llm":
        from agent.memory_port import MemoryModelPort

        if llm is None:
            raise ConfigError("memory.extractor 'llm' needs the agent's model; pass llm=, or set "
                              "CONGMING_MEMORY__EXTRACTOR=rules.")
        model = MemoryModelPort(llm)
    store = KnowledgeBase(settings.data_dir / "memory", kb.embedder,
                          hnsw_threshold=settings.knowledge.hnsw_threshold)
    facts = FactMemory(kb.graph, half_life_days=memory.half_life_days, min_strength=memory.min_strength)
    long_term = LongTermMemory(store, facts, create_fact_extractor(memory.extractor, model),
                               queue_path=settings.data_dir / "memory" / "queue.sqlite3", owns_kb=True)
    return long_term.open(worker=worker)
