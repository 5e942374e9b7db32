"""Neo4j's native vector and full-text indexes over chunks: the scale-out stand-ins for FAISS
(``VectorIndex``) and SQLite FTS5 (``KeywordIndex``), with the same methods and results.

Documents and chunks stay in SQLite (the source of truth); each chunk is mirrored as
``(:Chunk {user_id, rowid, id, document_id, collection, tokens, tokens_from, embedding})``,
where ``rowid`` is the chunk's SQLite row id (its id in the vector index) and ``tokens`` is what
FTS5 indexes for the chunk: its document's title, then its text (``with_title``), as the keyword
tokenizer sees it (jieba for Chinese), indexed with Lucene's whitespace analyzer so Chinese and
English are searched exactly as by FTS5. ``tokens_from`` says what the tokens were made of:
``"title+text"``, or ``"text"`` (no title source was given; chunks written before titles were
indexed have none). Opening a user's vector index re-tokenizes that user's chunks not yet made of
title + text (the index definition is unchanged). Scores: cosine similarity (Neo4j reports
``(1 + cos) / 2``; it is mapped back) and Lucene BM25.

Neo4j 5's vector search ranks every user's chunks together (``db.index.vector.queryNodes`` has
no filter) and is approximate (HNSW over quantized vectors). So a user with few chunks (up to
``exact_below``, or a search among few ``allowed_ids``) is searched exactly, by scanning that
user's chunks with ``vector.similarity.cosine`` (Neo4j 5.18+), as FAISS's flat index would; a
larger one fetches more candidates than asked for and widens until it has ``k`` of this user's,
or it has fetched every chunk in the index. A zero vector has no cosine: it is stored without an
embedding (no search finds it) and a zero query finds nothing. The vector index needs Neo4j 5.13
or newer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from graph.errors import ConfigError, InputError
from graph.keyword import KeywordHit, index_text, query_tokens, tokenize
from graph.neo4j_store import Neo4jGraphStore
from graph.types import Chunk
from graph.vector import Consistency, VectorHit

log = logging.getLogger(__name__)

VECTOR_INDEX = "congming_chunk_embedding"
FULLTEXT_INDEX = "congming_chunk_tokens"

CHUNK_KEY = ("CREATE CONSTRAINT congming_chunk_key IF NOT EXISTS "
             "FOR (c:Chunk) REQUIRE (c.user_id, c.rowid) IS UNIQUE")
CHUNK_USER = "CREATE INDEX congming_chunk_user IF NOT EXISTS FOR (c:Chunk) ON (c.user_id)"
CREATE_VECTOR_INDEX = (
    "CREATE VECTOR INDEX $name IF NOT EXISTS FOR (c:Chunk) ON c.embedding OPTIONS {indexConfig: {"
    "`vector.dimensions`: toInteger($dimensions), `vector.similarity_function`: $similarity}}"
)
CREATE_FULLTEXT_INDEX = ("CREATE FULLTEXT INDEX $name IF NOT EXISTS FOR (c:Chunk) ON EACH [c.tokens] "
                         "OPTIONS {indexConfig: {`fulltext.analyzer`: 'whitespace'}}")
INDEX_OPTIONS = "SHOW INDEXES YIELD name, state, options WHERE name = $name RETURN state, options"

UPSERT_CHUNKS = (
    "UNWIND $rows AS row MERGE (c:Chunk {user_id: $user, rowid: row.rowid}) "
    "SET c.id = row.id, c.document_id = row.document_id, c.collection = row.collection, "
    "c.tokens = row.tokens, c.tokens_from = row.tokens_from, c.embedding = row.embedding"
)
TITLED = "title+text"  # ``tokens_from`` of chunks whose tokens hold their document's title
# Chunks of a user whose tokens are not yet title + text, in row id order after $after.
UNTITLED_CHUNKS = (
    "MATCH (c:Chunk {user_id: $user}) WHERE c.rowid > $after AND coalesce(c.tokens_from, 'text') <> $titled "
    "RETURN c.rowid AS rowid ORDER BY c.rowid LIMIT $n"
)
SET_TOKENS = ("UNWIND $rows AS row MATCH (c:Chunk {user_id: $user, rowid: row.rowid}) "
              "SET c.tokens = row.tokens, c.tokens_from = $titled")
DELETE_CHUNKS = ("UNWIND $rowids AS rowid MATCH (c:Chunk {user_id: $user, rowid: rowid}) "
                 "DELETE c RETURN count(*) AS n")
CHUNK_ROWIDS = "MATCH (c:Chunk {user_id: $user}) RETURN c.rowid AS rowid"
USER_CHUNK_COUNT = "MATCH (c:Chunk {user_id: $user}) RETURN count(c) AS n"
ALL_CHUNK_COUNT = "MATCH (c:Chunk) RETURN count(c) AS n"  # from the count store: no scan
HAS_FUNCTION = "SHOW FUNCTIONS YIELD name WHERE name = $name RETURN count(*) AS n"
EXACT_FUNCTION = "vector.similarity.cosine"
EXACT_SEARCH = (
    "MATCH (c:Chunk {user_id: $user}) WHERE c.embedding IS NOT NULL "
    "AND ($allowed IS NULL OR c.rowid IN $allowed) "
    "WITH c.rowid AS rowid, vector.similarity.cosine(c.embedding, $vector) AS score "
    "RETURN rowid, score ORDER BY score DESC, rowid LIMIT $k"
)
VECTOR_SEARCH = (
    "CALL db.index.vector.queryNodes($index, $fetch, $vector) YIELD node, score "
    "RETURN node.rowid AS rowid, score, "
    "(node.user_id = $user AND ($allowed IS NULL OR node.rowid IN $allowed)) AS mine"
)
KEYWORD_SEARCH = (
    "CALL db.index.fulltext.queryNodes($index, $query) YIELD node, score "
    "WITH node, score WHERE node.user_id = $user AND ($collection IS NULL OR node.collection = $collection) "
    "RETURN node.rowid AS rowid, node.id AS chunk_id, node.document_id AS document_id, score "
    "ORDER BY score DESC LIMIT $top"
)

ChunksByRowid = Callable[[str, Sequence[int]], dict[int, Chunk]]  # (user id, row ids) -> chunks
# row ids -> what is embedded and keyword-indexed for each chunk: its document's title, then its
# text (``DocumentStore.texts_by_rowid``); rows it does not know are left out
TextsByRowid = Callable[[Sequence[int]], dict[int, str]]


def lucene_term(token: str) -> str:
    """A token as a quoted Lucene term: no operator, wildcard or field syntax survives quoting."""
    return '"' + token.replace("\\", "\\\\").replace('"', '\\"') + '"'


def lucene_any(text: str) -> str | None:
    """A Lucene query for the distinct tokens of ``text``, OR-ed (stop words dropped unless
    nothing else is left), or None when there is nothing to search."""
    tokens = query_tokens(text)
    return " OR ".join(lucene_term(t) for t in tokens) if tokens else None


def lucene_phrase(text: str) -> str | None:
    tokens = tokenize(text)
    return lucene_term(" ".join(tokens)) if tokens else None


def cosine_from_neo4j(score: float) -> float:
    """Neo4j's cosine score ``(1 + cos) / 2`` back to the cosine that ``VectorIndex`` reports."""
    return 2.0 * float(score) - 1.0


def _rowid_list(ids: Iterable[int]) -> list[int]:
    out = [int(i) for i in ids]
    if any(i < 0 for i in out):
        raise InputError("Vector ids must be non-negative integers (row ids).")
    return out


class Neo4jChunkIndexes:
    """Builds the per-user vector index and the keyword index over one opened graph store, and
    sets up their schema once (``ensure_schema``).

    ``texts_by_rowid`` gives the text a chunk is keyword-indexed by (title + text, as FTS5 and
    the embedder see it); without it a chunk is indexed by its own text alone."""

    def __init__(self, store: Neo4jGraphStore, dim: int, chunks_by_rowid: ChunksByRowid, *,
                 similarity: str = "cosine", texts_by_rowid: TextsByRowid | None = None) -> None:
        if dim < 1:
            raise ConfigError("The Neo4j vector index needs the embedder's dimension (>= 1).")
        self.store = store
        self.dim = dim
        self.chunks_by_rowid = chunks_by_rowid
        self.texts_by_rowid = texts_by_rowid
        self.similarity = similarity
        self.exact_search = False  # whether the server has vector.similarity.cosine (5.18+)
        self._schema_ready = False

    def ensure_schema(self) -> None:
        if self._schema_ready:
            return
        self.store.run_schema(CHUNK_KEY)
        self.store.run_schema(CHUNK_USER)
        self.store.run_schema(CREATE_VECTOR_INDEX, name=VECTOR_INDEX, dimensions=self.dim,
                              similarity=self.similarity)
        self.store.run_schema(CREATE_FULLTEXT_INDEX, name=FULLTEXT_INDEX)
        rows = self.store.run_read(
            lambda tx: [r.data() for r in tx.run(INDEX_OPTIONS, {"name": VECTOR_INDEX})])
        stored = vector_dimensions(rows[0]["options"]) if rows else None
        if stored is not None and stored != self.dim:
            raise ConfigError(
                f"The Neo4j vector index {VECTOR_INDEX} holds {stored}-dimensional vectors but the "
                f"embedder makes {self.dim}. Drop that index in Neo4j and restart to re-embed, or "
                "switch back to the embedder it was built with.")
        self.exact_search = self.similarity == "cosine" and bool(self.store.run_read(
            lambda tx: tx.run(HAS_FUNCTION, {"name": EXACT_FUNCTION}).single()["n"]))
        self._schema_ready = True

    def vector_index(self, user_id: str) -> Neo4jVectorIndex:
        return Neo4jVectorIndex(self, user_id)

    def keyword_rows(self, chunks: dict[int, Chunk]) -> dict[int, tuple[str, str]]:
        """Row id -> (tokens, tokens_from) of these chunks: title + text when a title source is
        given (a row it does not know falls back to the chunk's text), else the text alone."""
        titled = self.texts_by_rowid(list(chunks)) if self.texts_by_rowid is not None else {}
        return {rowid: (index_text(titled[rowid]), TITLED) if rowid in titled
                else (index_text(chunk.text), "text") for rowid, chunk in chunks.items()}

    def add_titles(self, user_id: str, *, batch_size: int = 2000) -> int:
        """Re-tokenize this user's chunks whose tokens are not yet title + text (written before
        titles were indexed, or without a title source); how many were. Idempotent, batched."""
        if self.texts_by_rowid is None:
            return 0
        self.ensure_schema()
        done, after = 0, -1
        while True:
            params = {"user": user_id, "after": after, "titled": TITLED, "n": batch_size}
            rowids = self.store.run_read(
                lambda tx, p=params: [r["rowid"] for r in tx.run(UNTITLED_CHUNKS, p)])
            if not rowids:
                break
            after = rowids[-1]
            owned = self.chunks_by_rowid(user_id, rowids)  # a row another user's now: left for repair
            rows = [{"rowid": r, "tokens": tokens}
                    for r, (tokens, source) in self.keyword_rows(owned).items() if source == TITLED]
            self.store.run_write(lambda tx, b=rows: tx.run(
                SET_TOKENS, {"user": user_id, "rows": b, "titled": TITLED}).consume())
            done += len(rows)
        if done:
            log.info("Neo4j keyword index: %d chunks of user %r re-tokenized with their titles.",
                     done, user_id)
        return done

    def keyword_index(self) -> Neo4jKeywordIndex:
        return Neo4jKeywordIndex(self)


def vector_dimensions(options: Any) -> int | None:
    """``vector.dimensions`` from the options column of ``SHOW INDEXES``."""
    config = (options or {}).get("indexConfig") or {}
    value = config.get("vector.dimensions")
    return None if value is None else int(value)


class Neo4jVectorIndex:
    """One user's chunk vectors in Neo4j's vector index; the methods of ``VectorIndex``."""

    kind = "neo4j"
    dirty = False  # every change is committed at once: nothing to save
    sidecar_ok = True

    def __init__(self, indexes: Neo4jChunkIndexes, user_id: str, *, widen_to: int = 10_000,
                 exact_below: int = 2048) -> None:
        self.indexes = indexes
        self.user_id = user_id
        self.dim = indexes.dim
        self.widen_to = widen_to
        self.exact_below = exact_below

    def open(self) -> None:
        """Set up the schema, and give this user's chunks written before titles were indexed
        their document's title in the keyword index (``Neo4jChunkIndexes.add_titles``)."""
        self.indexes.ensure_schema()
        self.indexes.add_titles(self.user_id)

    def close(self) -> None:
        pass

    def save(self) -> None:
        pass

    def ids(self) -> np.ndarray:
        rows = self.indexes.store.run_read(
            lambda tx: [r["rowid"] for r in tx.run(CHUNK_ROWIDS, {"user": self.user_id})])
        return np.sort(np.asarray(rows, dtype=np.int64))

    def __len__(self) -> int:
        return int(self.ids().size)

    def _normalised(self, vectors: Any, rows: int) -> np.ndarray:
        matrix = np.asarray(vectors, dtype=np.float32)
        if matrix.ndim == 1:
            matrix = matrix[None, :]
        if matrix.ndim != 2 or matrix.shape != (rows, self.dim):
            raise InputError(f"Expected {rows} vectors of dim {self.dim}, got an array of shape "
                             f"{np.shape(vectors)}.")
        return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)

    def add(self, ids: Iterable[int], vectors: Any, *, batch_size: int = 500) -> None:
        """Add (or replace) the chunks with these row ids, with their vectors and keyword tokens
        (title + text when the indexes have a title source)."""
        keys = _rowid_list(ids)
        matrix = self._normalised(vectors, len(keys))
        if len(set(keys)) != len(keys):
            raise InputError("add() got the same id twice in one batch.")
        chunks = self.indexes.chunks_by_rowid(self.user_id, keys)
        unknown = [k for k in keys if k not in chunks]
        if unknown:
            raise InputError(f"No chunks of user {self.user_id!r} with row ids {unknown[:5]}; "
                             "store the document before its vectors.")
        keyword = self.indexes.keyword_rows({k: chunks[k] for k in keys})
        rows = [{"rowid": k, "id": chunks[k].id, "document_id": chunks[k].document_id,
                 "collection": chunks[k].collection, "tokens": keyword[k][0],
                 "tokens_from": keyword[k][1], "embedding": matrix[i].tolist() if matrix[i].any() else None}
                for i, k in enumerate(keys)]
        for start in range(0, len(rows), batch_size):
            batch = rows[start:start + batch_size]
            self.indexes.store.run_write(
                lambda tx, b=batch: tx.run(UPSERT_CHUNKS, {"user": self.user_id, "rows": b}).consume())

    def remove(self, ids: Iterable[int]) -> int:
        keys = _rowid_list(ids)
        if not keys:
            return 0
        return self.indexes.store.run_write(
            lambda tx: tx.run(DELETE_CHUNKS, {"user": self.user_id, "rowids": keys}).single()["n"])

    def search(self, query: Any, k: int = 10, *,
               allowed_ids: Iterable[int] | None = None) -> list[VectorHit]:
        """The ``k`` nearest of this user's chunks (only among ``allowed_ids`` when given)."""
        normalised = self._normalised(query, 1)[0]
        if k < 1 or not normalised.any():  # a zero vector has no cosine with anything
            return []
        vector = normalised.tolist()
        allowed = None if allowed_ids is None else _rowid_list(allowed_ids)
        if allowed is not None and not allowed:
            return []
        self.indexes.ensure_schema()
        if self.indexes.exact_search and self._few(allowed):
            params = {"user": self.user_id, "vector": vector, "allowed": allowed, "k": k}
            rows = self.indexes.store.run_read(
                lambda tx: [r.data() for r in tx.run(EXACT_SEARCH, params)])
            return [VectorHit(int(r["rowid"]), cosine_from_neo4j(r["score"])) for r in rows]
        return self._approximate(vector, k, allowed)

    def _count(self, query: str) -> int:
        return int(self.indexes.store.run_read(
            lambda tx: tx.run(query, {"user": self.user_id}).single()["n"]))

    def _few(self, allowed: list[int] | None) -> bool:
        """Whether the candidates are few enough to score them all exactly."""
        if allowed is not None and len(allowed) <= self.exact_below:
            return True
        return self._count(USER_CHUNK_COUNT) <= self.exact_below

    def _approximate(self, vector: list[float], k: int, allowed: list[int] | None) -> list[VectorHit]:
        """Through the HNSW index, widening past other users' chunks. HNSW may return fewer
        candidates than asked for, so the search ends when it has asked for every chunk."""
        fetch, total = max(4 * k, 20), None
        while True:
            params = {"index": VECTOR_INDEX, "fetch": fetch, "vector": vector, "user": self.user_id,
                      "allowed": allowed}
            rows = self.indexes.store.run_read(
                lambda tx, p=params: [r.data() for r in tx.run(VECTOR_SEARCH, p)])
            mine = [VectorHit(int(r["rowid"]), cosine_from_neo4j(r["score"])) for r in rows if r["mine"]]
            if len(mine) < k and fetch < self.widen_to and total is None:
                total = self._count(ALL_CHUNK_COUNT)
            if len(mine) >= k or fetch >= self.widen_to or fetch >= (total or 0):
                return sorted(mine, key=lambda h: (-h.score, h.id))[:k]
            fetch = min(fetch * 4, self.widen_to)

    def check(self, expected_ids: Iterable[int]) -> Consistency:
        expected, live = set(_rowid_list(expected_ids)), set(self.ids().tolist())
        return Consistency(missing=tuple(sorted(expected - live)), extra=tuple(sorted(live - expected)))

    def repair(self, expected_ids: Iterable[int], vectors_for: Callable[[Sequence[int]], Any], *,
               batch_size: int = 512) -> Consistency:
        """Remove extra chunks, add missing ones (``vectors_for(ids)`` embeds them)."""
        report = self.check(expected_ids)
        self.remove(report.extra)
        for start in range(0, len(report.missing), batch_size):
            batch = list(report.missing[start:start + batch_size])
            self.add(batch, vectors_for(batch))
        return report


class Neo4jKeywordIndex:
    """Keyword search over the chunks in Neo4j's full-text index; the methods of ``KeywordIndex``."""

    def __init__(self, indexes: Neo4jChunkIndexes) -> None:
        self.indexes = indexes

    def search(self, user_id: str, query: str, *, limit: int = 10,
               collection: str | None = None) -> list[KeywordHit]:
        lucene = lucene_any(query)
        if lucene is None or limit < 1:
            return []
        self.indexes.ensure_schema()
        # parameters as a dict: "query" is also the name of tx.run's first argument
        params = {"index": FULLTEXT_INDEX, "query": lucene, "user": user_id, "collection": collection,
                  "top": limit}
        rows = self.indexes.store.run_read(lambda tx: [r.data() for r in tx.run(KEYWORD_SEARCH, params)])
        return [KeywordHit(chunk_id=r["chunk_id"], rowid=int(r["rowid"]), document_id=r["document_id"],
                           score=float(r["score"])) for r in rows]

    def chunks_with_phrase(self, user_id: str, phrase: str, *, limit: int = 200) -> list[str]:
        """Ids of this user's chunks containing ``phrase`` as consecutive tokens."""
        lucene = lucene_phrase(phrase)
        if lucene is None or limit < 1:
            return []
        self.indexes.ensure_schema()
        params = {"index": FULLTEXT_INDEX, "query": lucene, "user": user_id, "collection": None,
                  "top": limit}
        rows = self.indexes.store.run_read(
            lambda tx: [r["chunk_id"] for r in tx.run(KEYWORD_SEARCH, params)])
        return list(rows)
