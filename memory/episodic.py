"""Episodic memory: every turn of every session, kept per user, recallable across sessions.

A turn (an "episode": the messages of one exchange, who said them, when, in which session)
is a document of the reserved ``memory`` collection of a knowledge base, so it is embedded
(FAISS), keyword-indexed (FTS5 BM25), entity-linked and hard-deleted by the same code as
documents. Its id is stable (user, session, turn), so storing it again - a replayed queue
job - changes nothing.

A turn is indexed under two views, each a chunk: its own text, and its text after the
message it answers (``context``). The second finds what a bare reply means ("Yes, last
Friday!" after "Did you go to the pottery workshop?"). The keyword index reads each view with
the turn's date and what its relative expressions meant when said ("yesterday: 7 May 2023",
``memory.time_anchor``) and with its words' stems ("hiked" -> "hik", ``memory.word_stems``);
the embeddings and what is shown stay what was said. Recall runs the hybrid retriever
(dense + BM25, RRF, in one call; BM25 reads the question's keyword form: its stems, without
"did"/"has"/"likely") over the user's memory chunks and adds up the fused scores of each
turn's chunks: a turn found under both views, by both signals, comes first. Then each turn
passes a share of its score to the turns around it (``memory.turn_neighbours``: the reply and
the message before, the context view to the message it answers, the rest of its session). A
question that asks when ("When did ...?") doubles the score of the turns that place something
in time. Short candidate lists (30 a signal) work best: deeper ones add up noise. On LoCoMo
this lifts evidence recall@10 from 0.47 (dense over raw turns) to 0.72 without the time
anchoring, stems, when-boost and neighbours, more with them (benchmarks/locomo_memory.py,
README); the graph walk does not help there (0.71), so it is off by default.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from graph.chunking import chunk_text
from graph.errors import InputError
from graph.extract import Extractor
from graph.knowledge import KnowledgeBase
from graph.linking import GraphBuilder
from graph.retrieve import HybridRetriever, Signal
from graph.types import Chunk, Document, stable_id
from memory.parts import Passage
from memory.time_anchor import anchor_text, asks_when, mentions_time
from memory.turn_neighbours import Spread, metadata_of, session_order, source_of, spread_scores
from memory.word_stems import keyword_form, stems_of

MEMORY_COLLECTION = "memory"
CONTEXT_CHARS = 500  # the end of the answered message that goes into the context view
PASSAGE_CHARS = 1500  # a recalled turn longer than this is cut


def episode_id(user_id: str, session_id: str, turn_id: str) -> str:
    return stable_id("turn", user_id, session_id, turn_id)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


@dataclass(frozen=True, slots=True)
class Episode:
    """One remembered exchange: ``messages`` are (speaker, text) pairs in order."""

    user_id: str
    session_id: str
    turn_id: str
    at: datetime
    messages: tuple[tuple[str, str], ...]
    context: str = ""  # the message this one answers: indexed with it, never shown
    kind: str = "turn"

    @property
    def id(self) -> str:
        return episode_id(self.user_id, self.session_id, self.turn_id)

    @property
    def text(self) -> str:
        return "\n".join(f"{speaker}: {said}" for speaker, said in self.messages)


@dataclass(frozen=True, slots=True)
class RecalledTurn:
    episode: Episode
    score: float  # summed fused (RRF) score of the turn's chunks


def _check(episode: Episode) -> None:
    if not episode.user_id or not episode.session_id or not episode.turn_id:
        raise InputError("A remembered turn needs a user_id, a session_id and a turn_id.")
    if not episode.messages or not any(said.strip() for _, said in episode.messages):
        raise InputError(f"Turn {episode.turn_id!r} has no text to remember.")


def _metadata(episode: Episode) -> dict:
    return {"session_id": episode.session_id, "turn_id": episode.turn_id,
            "at": _utc(episode.at).isoformat(), "kind": episode.kind,
            "messages": [list(m) for m in episode.messages]}


def episode_from(document: Document) -> Episode:
    return _episode(document.user_id, document.metadata)


def _episode(user_id: str, meta: dict) -> Episode:
    return Episode(user_id=user_id, session_id=meta["session_id"], turn_id=meta["turn_id"],
                   at=datetime.fromisoformat(meta["at"]), kind=meta.get("kind", "turn"),
                   messages=tuple((str(s), str(t)) for s, t in meta["messages"]))


def _said(meta: dict) -> str:
    return " ".join(str(m[1]) for m in meta.get("messages", ()))


def passage_of(episode: Episode, *, leave_out: Collection[str] = ()) -> Passage | None:
    """The turn as evidence, without what the speakers in ``leave_out`` said (the assistant's own
    replies are never evidence); None when nothing is left."""
    kept = [(speaker, said) for speaker, said in episode.messages
            if speaker not in leave_out and said.strip()]
    if not kept:
        return None
    text = kept[0][1] if len(kept) == 1 and leave_out else "\n".join(f"{s}: {t}" for s, t in kept)
    if len(text) > PASSAGE_CHARS:
        text = text[:PASSAGE_CHARS].rstrip() + " …"
    return Passage(text, f"conversation of {episode.at:%Y-%m-%d %H:%M}", episode.id,
                   at=episode.at, kind=episode.kind)


class EpisodicMemory:
    """Turns in the ``memory`` collection of ``kb`` (opened and closed by the caller)."""

    def __init__(self, kb: KnowledgeBase, *, extractor: Extractor | None = None,
                 signals: Sequence[Signal] = ("dense", "bm25"), chunk_size: int = 200,
                 overlap: int = 30, candidates: int = 30, walk: str = "all",
                 anchor_time: bool = True, stems: bool = True, time_boost: float = 1.0,
                 answered_share: float = 0.5, neighbour_share: float = 0.1,
                 session_share: float = 0.05) -> None:
        self.kb = kb
        self.builder = GraphBuilder(kb, extractor)
        self.signals = tuple(signals)
        self.retriever = HybridRetriever(kb, signals=self.signals, candidates=candidates, walk=walk)
        self.chunk_size = chunk_size
        self.overlap = overlap
        self.anchor_time = anchor_time
        self.stems = stems
        self.time_boost = time_boost
        self.spread = Spread(answered_share, neighbour_share, session_share)

    # ---- writing -------------------------------------------------------------------------
    def _views(self, episode: Episode) -> list[str]:
        """The texts a turn is embedded by: its own (in chunks when long), and with its context."""
        text = episode.text
        views = [span.text for span in chunk_text(text, chunk_size=self.chunk_size,
                                                  overlap=self.overlap)] or [text]
        context = " ".join(episode.context.split())[-CONTEXT_CHARS:]
        if context:
            views.append(f"{context}\n{views[0]}")
        return views

    def _anchored(self, episode: Episode, views: list[str]) -> list[str]:
        """The views as the keyword index reads them: each with the turn's date and the dates
        its relative expressions mean (``memory.time_anchor``), so "in May 2023" finds it."""
        anchor = f"\n({anchor_text(episode.text, episode.at)})" if self.anchor_time else ""
        return [f"{view}{anchor}" + (f"\n{stems_of(view)}" if self.stems else "") for view in views]

    def _document(self, episode: Episode) -> tuple[Document, list[Chunk]]:
        views = self._anchored(episode, self._views(episode))
        context = " ".join(episode.context.split())[-CONTEXT_CHARS:]
        digest = hashlib.sha256(json.dumps([_metadata(episode), context], ensure_ascii=False,
                                           sort_keys=True).encode()).hexdigest()
        metadata = _metadata(episode) | ({"context_view": len(views) - 1} if context else {})
        document = Document(id=episode.id, user_id=episode.user_id, content_hash=digest,
                            source=source_of(episode.session_id, episode.turn_id),
                            collection=MEMORY_COLLECTION, metadata=metadata)
        chunks = [Chunk(id=f"{episode.id}-{i}", document_id=episode.id, user_id=episode.user_id,
                        ordinal=i, text=view, collection=MEMORY_COLLECTION, end=len(view))
                  for i, view in enumerate(views)]
        return document, chunks

    def store(self, episode: Episode) -> bool:
        """Remember a turn; False when it is already stored as it is (a replay)."""
        _check(episode)
        document, chunks = self._document(episode)
        existing = self.kb.documents.get_document(episode.user_id, document.id)
        if existing is not None and existing.content_hash == document.content_hash:
            return False
        said = self._views(episode)  # embedded and read for entities as said, dates and stems aside
        vectors = self.kb.embed(said)
        items = self.builder.extract(document, [replace(c, text=t)
                                                for c, t in zip(chunks, said, strict=True)])
        index = self.kb.vectors(episode.user_id)
        with self.kb.db.transaction():
            added = self.kb.documents.add_document(document, chunks, replace=existing is not None)
            if added.replaced is not None:
                self.kb.forget_sources(episode.user_id, added.replaced.chunk_ids)
            self.builder.write(episode.user_id, items, chunks)
        if added.replaced is not None:
            index.remove(added.replaced.chunk_rowids)
        index.add([added.chunk_rowids[chunk.id] for chunk in chunks], vectors)
        return True

    # ---- reading -------------------------------------------------------------------------
    def recall(self, user_id: str, query: str, *, k: int = 5, session_id: str | None = None,
               exclude: Collection[str] = ()) -> list[RecalledTurn]:
        """The user's ``k`` turns best matching ``query``, best first; only ``session_id``'s
        when given; turns whose id or turn id is in ``exclude`` are left out."""
        if k < 1 or not query.strip():
            return []
        wanted = max(self.retriever.candidates * len(self.signals), 2 * k + len(exclude))  # all fused
        keywords = keyword_form(query) if self.stems else None
        found = self.retriever.retrieve(query, user_id=user_id, k=wanted, collection=MEMORY_COLLECTION,
                                        signals=self.signals, keyword_query=keywords).items
        direct: dict[str, float] = {}
        answering: dict[str, float] = {}  # what each turn's context view earned
        metadata: dict[str, dict] = {}
        for item in found:
            document = item.document
            if document is None or document.collection != MEMORY_COLLECTION:
                continue
            metadata[document.id] = document.metadata
            direct[document.id] = direct.get(document.id, 0.0) + item.score
            if item.chunk.ordinal == document.metadata.get("context_view"):
                answering[document.id] = answering.get(document.id, 0.0) + item.score
        scores = self._spread(user_id, direct, answering, metadata)
        if self.time_boost and asks_when(query):  # "When did ...?": turns that place things in time
            for document_id in scores:
                if mentions_time(_said(metadata[document_id])):
                    scores[document_id] *= 1.0 + self.time_boost
        kept = [d for d in scores
                if (session_id is None or metadata[d].get("session_id") == session_id)
                and d not in exclude and metadata[d].get("turn_id") not in exclude]
        ranked = sorted(kept, key=lambda d: (-scores[d], d))[:k]
        return [RecalledTurn(_episode(user_id, metadata[d]), scores[d]) for d in ranked]

    def _spread(self, user_id: str, direct: dict[str, float], answering: dict[str, float],
                metadata: dict[str, dict]) -> dict[str, float]:
        """The turns' scores once the turns around them have had their share; ``metadata`` gets
        that of every turn scored."""
        if self.spread == Spread(0.0, 0.0, 0.0) or not direct:
            return dict(direct)
        sessions = session_order(self.kb, user_id, MEMORY_COLLECTION,
                                 (str(metadata[d].get("session_id")) for d in direct))
        scores = spread_scores(direct, answering, sessions, self.spread)
        metadata.update(metadata_of(self.kb, user_id, (d for d in scores if d not in metadata)))
        return {d: score for d, score in scores.items() if d in metadata}

    def episodes(self, user_id: str, *, session_id: str | None = None,
                 limit: int | None = None) -> list[Episode]:
        """The user's turns, oldest first (of one session when given)."""
        documents = self.kb.documents.list_documents(user_id, collection=MEMORY_COLLECTION)
        found = sorted((episode_from(d) for d in documents),
                       key=lambda e: (_utc(e.at), e.session_id, e.turn_id))
        if session_id is not None:
            found = [e for e in found if e.session_id == session_id]
        return found if limit is None else found[-limit:] if limit > 0 else []

    def count(self, user_id: str) -> int:
        with self.kb.db.read() as conn:
            return int(conn.execute("SELECT count(*) FROM documents WHERE user_id = ? AND collection = ?",
                                    (user_id, MEMORY_COLLECTION)).fetchone()[0])

    # ---- forgetting ----------------------------------------------------------------------
    def forget(self, user_id: str, turn_ref: str) -> bool:
        """Delete one turn for good (by episode id); False if the user has no such turn."""
        document = self.kb.documents.get_document(user_id, turn_ref)
        if document is None or document.collection != MEMORY_COLLECTION:
            return False
        return self._delete(user_id, [document.id]) == 1

    def forget_all(self, user_id: str) -> int:
        """Delete every turn of the user for good; how many."""
        ids = [d.id for d in self.kb.documents.list_documents(user_id, collection=MEMORY_COLLECTION)]
        return self._delete(user_id, ids) if ids else 0

    def _delete(self, user_id: str, document_ids: list[str]) -> int:
        """Chunks, keyword rows, graph provenance and vectors; then the leftovers a plain
        delete leaves on disk are scrubbed (see ``scrub``)."""
        index = self.kb.vectors(user_id)
        with self.kb.db.read() as conn:  # freed pages are overwritten, not left readable
            conn.execute("PRAGMA secure_delete = ON")
        rowids: list[int] = []
        removed = 0
        for document_id in document_ids:
            self.kb.forget_sources(user_id, [c.id for c in self.kb.documents.document_chunks(
                user_id, document_id)])
            gone = self.kb.documents.delete_document(user_id, document_id)
            if gone is not None:
                rowids += gone.chunk_rowids
                removed += 1
        index.remove(rowids)
        compact = getattr(index, "compact", None)  # a FAISS index; an external one deletes itself
        if compact is not None:
            compact()
        index.save()
        self.scrub()
        return removed

    def scrub(self) -> None:
        """Make deleted text unrecoverable from the SQLite file: merge the keyword index's
        segments (FTS5 keeps deleted tokens in old segments until then; freed pages are
        overwritten since ``secure_delete`` is on) and fold the WAL back into the file."""
        with self.kb.db.transaction() as conn:
            conn.execute("INSERT INTO chunk_fts (chunk_fts) VALUES ('optimize')")
        with self.kb.db.read() as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
