"""Whole-store checks for ingestion tests: row counts, leftovers, dense and keyword search."""

from __future__ import annotations

from graph.knowledge import KnowledgeBase
from graph.types import Chunk

_COUNTS = {
    "documents": "SELECT count(*) FROM documents WHERE user_id = ?",
    "chunks": "SELECT count(*) FROM chunks WHERE user_id = ?",
    "chunk_fts": "SELECT count(*) FROM chunk_fts JOIN chunks c ON c.pk = chunk_fts.rowid "
                 "WHERE c.user_id = ?",
    "entities": "SELECT count(*) FROM entities WHERE user_id = ?",
    "entity_names": "SELECT count(*) FROM entity_names WHERE user_id = ?",
    "entity_sources": "SELECT count(*) FROM entity_sources WHERE user_id = ?",
    "relations": "SELECT count(*) FROM relations WHERE user_id = ?",
    "relation_sources": "SELECT count(*) FROM relation_sources WHERE user_id = ?",
}

# Each query counts rows that must not exist after any ingest or forget.
_LEFTOVERS = {
    "keyword rows without a chunk": "SELECT count(*) FROM chunk_fts "
                                    "WHERE rowid NOT IN (SELECT pk FROM chunks)",
    "chunks without keyword rows": "SELECT count(*) FROM chunks WHERE user_id = ? "
                                   "AND pk NOT IN (SELECT rowid FROM chunk_fts)",
    "mentions of missing chunks": "SELECT count(*) FROM entity_sources s WHERE s.user_id = ? "
                                  "AND NOT EXISTS (SELECT 1 FROM chunks c WHERE c.user_id = s.user_id "
                                  "AND c.id = s.source_id)",
    "relation sources of missing chunks": "SELECT count(*) FROM relation_sources s WHERE s.user_id = ? "
                                          "AND NOT EXISTS (SELECT 1 FROM chunks c "
                                          "WHERE c.user_id = s.user_id AND c.id = s.source_id)",
    "entities without provenance": "SELECT count(*) FROM entities e WHERE e.user_id = ? "
                                   "AND NOT EXISTS (SELECT 1 FROM entity_sources s "
                                   "WHERE s.user_id = e.user_id AND s.entity_id = e.id)",
    "relations without provenance": "SELECT count(*) FROM relations r WHERE r.user_id = ? "
                                    "AND NOT EXISTS (SELECT 1 FROM relation_sources s "
                                    "WHERE s.user_id = r.user_id AND s.relation_id = r.id)",
}


def row_counts(kb: KnowledgeBase, user_id: str) -> dict[str, int]:
    with kb.db.read() as conn:
        return {name: conn.execute(sql, (user_id,)).fetchone()[0] for name, sql in _COUNTS.items()}


def leftovers(kb: KnowledgeBase, user_id: str) -> dict[str, int]:
    """What is out of place for this user (empty when the stores agree), vectors included."""
    found: dict[str, int] = {}
    with kb.db.read() as conn:
        for name, sql in _LEFTOVERS.items():
            count = conn.execute(sql, (user_id,) if "?" in sql else ()).fetchone()[0]
            if count:
                found[name] = count
    consistency = kb.vectors(user_id).check(kb.documents.chunk_rowids(user_id))
    if consistency.missing:
        found["chunks without vectors"] = len(consistency.missing)
    if consistency.extra:
        found["vectors without chunks"] = len(consistency.extra)
    return found


def entity_names(kb: KnowledgeBase, user_id: str) -> set[str]:
    with kb.db.read() as conn:
        return {row[0] for row in conn.execute("SELECT name FROM entity_names WHERE user_id = ?",
                                               (user_id,))}


def dense_search(kb: KnowledgeBase, user_id: str, text: str, k: int = 5) -> list[Chunk]:
    """This user's chunks nearest to ``text`` in the vector index, best first."""
    hits = kb.vectors(user_id).search(kb.embed([text])[0], k)
    chunks = kb.documents.chunks_by_rowid(user_id, [hit.id for hit in hits])
    assert len(chunks) == len(hits), "the vector index returned ids that are not this user's chunks"
    return [chunks[hit.id] for hit in hits]


def keyword_search(kb: KnowledgeBase, user_id: str, text: str, k: int = 5) -> list[Chunk]:
    hits = kb.keywords.search(user_id, text, limit=k)
    return kb.documents.get_chunks(user_id, [hit.chunk_id for hit in hits])
