"""The embedded knowledge base of one data directory.

One SQLite file holds documents, chunks, the keyword index and the graph; FAISS holds the
chunk vectors, one index file per user so a search never needs a user filter. When a
user's vector index is first opened it is checked against the chunks SQLite holds for
that user and repaired (a crash between the SQLite commit and the index save leaves them
out of step; SQLite is the source of truth).

The graph may live elsewhere (``graph=``, e.g. a ``Neo4jGraphStore``), and so may the chunk
vectors and keywords (``vector_index=`` and ``keywords=``, e.g. Neo4j's native indexes);
documents and chunks always stay in SQLite. With ``degrade_graph=True`` an external graph
that cannot be reached at ``open()`` is reported in ``graph_error`` instead of failing.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from graph.documents import DocumentStore
from graph.embedding import Embedder
from graph.errors import BackendUnavailableError
from graph.keyword import KeywordIndex
from graph.sqlite_db import SQLiteDatabase
from graph.sqlite_store import SQLiteGraphStore
from graph.store import DeleteReport, GraphStore
from graph.vector import Consistency, VectorIndex

log = logging.getLogger(__name__)


def user_key(user_id: str) -> str:
    """A file-name-safe key for a user id."""
    return hashlib.sha256(user_id.encode("utf-8")).hexdigest()[:24]


class KnowledgeBase:
    """SQLite (documents, chunks, BM25, graph) + per-user FAISS vectors in ``data_dir``."""

    def __init__(self, data_dir: str | Path, embedder: Embedder, *,
                 hnsw_threshold: int = 20_000, graph: GraphStore | None = None,
                 vector_index: Callable[[str], Any] | None = None, keywords: Any = None,
                 degrade_graph: bool = False) -> None:
        self.data_dir = Path(data_dir)
        self.embedder = embedder
        self.hnsw_threshold = hnsw_threshold
        self.db = SQLiteDatabase(self.data_dir / "congming.sqlite3")
        self.documents = DocumentStore(self.db)
        self.keywords = keywords if keywords is not None else KeywordIndex(self.db)
        self.graph = graph if graph is not None else SQLiteGraphStore(self.db)
        self.external_graph = graph is not None  # its provenance is not removed with the SQLite rows
        self.degrade_graph = degrade_graph
        self.graph_error: str | None = None  # why an external graph was last unreachable
        self.graph_retry_s = 60.0  # after a failure, how long retrieval leaves the graph out
        self._graph_retry_at = 0.0
        self._vector_index = vector_index  # user id -> an unopened VectorIndex-like index
        self._vectors: dict[str, VectorIndex] = {}
        self._vectors_lock = threading.Lock()
        self.repairs: dict[str, Consistency] = {}  # user id -> what opening their index fixed

    def open(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / "vectors").mkdir(exist_ok=True)
        self.db.open()
        if self.external_graph:
            self._open_graph()

    def _open_graph(self) -> None:
        try:
            self.graph.open()
        except BackendUnavailableError as exc:
            if not self.degrade_graph:
                self.db.close()
                raise
            self.graph_unavailable(exc)

    def graph_unavailable(self, exc: BackendUnavailableError) -> str:
        """Record that the graph store cannot be reached; the reason retrieval gives for leaving
        the graph out for the next ``graph_retry_s`` seconds. Raises when ``degrade_graph`` is off."""
        if not self.degrade_graph:
            raise BackendUnavailableError(
                f"{exc} To answer from vectors and keywords while the graph store is down, set "
                "CONGMING_GRAPH__DEGRADE=true.") from exc
        self.graph_error = str(exc)
        self._graph_retry_at = time.monotonic() + self.graph_retry_s
        log.warning("The graph store is unavailable; retrieval goes on without it for %.0f s: %s",
                    self.graph_retry_s, exc)
        return f"graph store unavailable: {exc}"

    def graph_skip_reason(self) -> str | None:
        """Why retrieval should leave the graph out now (it failed recently), or None to use it."""
        if self.graph_error is not None and time.monotonic() < self._graph_retry_at:
            return f"graph store unavailable: {self.graph_error}"
        return None

    def close(self) -> None:
        with self._vectors_lock:
            for index in self._vectors.values():
                index.close()  # saves it when it changed
            self._vectors.clear()
        if self.external_graph:
            self.graph.close()
        self.db.close()

    def forget_sources(self, user_id: str, source_ids: Sequence[str]) -> DeleteReport | None:
        """Remove graph provenance from an external graph store (None for the embedded graph,
        whose provenance goes in the same SQLite transaction as the chunks)."""
        if not self.external_graph:
            return None
        return self.graph.delete_by_source(user_id, list(source_ids))

    def __enter__(self) -> KnowledgeBase:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.embedder.embed(list(texts))

    def vectors(self, user_id: str) -> VectorIndex:
        """This user's chunk vector index, opened, checked and repaired on first use."""
        with self._vectors_lock:
            index = self._vectors.get(user_id)
            if index is None:
                index = self._new_vector_index(user_id)
                index.open()
                self._repair(user_id, index)
                self._vectors[user_id] = index
            return index

    def _new_vector_index(self, user_id: str) -> VectorIndex:
        if self._vector_index is not None:
            return self._vector_index(user_id)
        path = self.data_dir / "vectors" / f"chunks-{user_key(user_id)}.faiss"
        return VectorIndex(path, self.embedder.dim, model=self.embedder.name,
                           hnsw_threshold=self.hnsw_threshold)

    def _repair(self, user_id: str, index: VectorIndex) -> None:
        expected = self.documents.chunk_rowids(user_id)
        found = index.check(expected)
        if found.ok:
            return

        def vectors_for(rowids: Sequence[int]) -> np.ndarray:
            texts = self.documents.texts_by_rowid(rowids)
            return self.embed([texts[r] for r in rowids])

        index.repair(expected, vectors_for)
        self.repairs[user_id] = found

    def save(self) -> None:
        """Write the vector indexes that changed (an unchanged one is not rewritten)."""
        with self._vectors_lock:
            for index in self._vectors.values():
                if index.dirty:
                    index.save()
