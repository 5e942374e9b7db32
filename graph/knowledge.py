"""The embedded knowledge base of one data directory.

One SQLite file holds documents, chunks, the keyword index and the graph; FAISS holds the
chunk vectors, one index file per user so a search never needs a user filter. When a
user's vector index is first opened it is checked against the chunks SQLite holds for
that user and repaired (a crash between the SQLite commit and the index save leaves them
out of step; SQLite is the source of truth).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from graph.documents import DocumentStore
from graph.embedding import Embedder
from graph.keyword import KeywordIndex
from graph.sqlite_db import SQLiteDatabase
from graph.sqlite_store import SQLiteGraphStore
from graph.vector import Consistency, VectorIndex


def user_key(user_id: str) -> str:
    """A file-name-safe key for a user id."""
    return hashlib.sha256(user_id.encode("utf-8")).hexdigest()[:24]


class KnowledgeBase:
    """SQLite (documents, chunks, BM25, graph) + per-user FAISS vectors in ``data_dir``."""

    def __init__(self, data_dir: str | Path, embedder: Embedder, *,
                 hnsw_threshold: int = 20_000) -> None:
        self.data_dir = Path(data_dir)
        self.embedder = embedder
        self.hnsw_threshold = hnsw_threshold
        self.db = SQLiteDatabase(self.data_dir / "congming.sqlite3")
        self.documents = DocumentStore(self.db)
        self.keywords = KeywordIndex(self.db)
        self.graph = SQLiteGraphStore(self.db)
        self._vectors: dict[str, VectorIndex] = {}
        self._vectors_lock = threading.Lock()
        self.repairs: dict[str, Consistency] = {}  # user id -> what opening their index fixed

    def open(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / "vectors").mkdir(exist_ok=True)
        self.db.open()

    def close(self) -> None:
        with self._vectors_lock:
            for index in self._vectors.values():
                index.close()  # saves it when it changed
            self._vectors.clear()
        self.db.close()

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
                path = self.data_dir / "vectors" / f"chunks-{user_key(user_id)}.faiss"
                index = VectorIndex(path, self.embedder.dim, model=self.embedder.name,
                                    hnsw_threshold=self.hnsw_threshold)
                index.open()
                self._repair(user_id, index)
                self._vectors[user_id] = index
            return index

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
