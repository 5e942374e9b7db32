"""Ingestion: files -> text -> chunks -> vectors, keywords and graph.

Each document is written to SQLite in one transaction (document, chunks, keyword rows,
entities, relations and mentions), then its vectors are added to the user's FAISS index.
A crash before the commit leaves nothing of the document; a crash after it leaves vectors
missing, which the knowledge base repairs when it next opens the index. Document ids are
derived from (user, collection, source), so re-running an ingest never duplicates: an
unchanged file (same content hash) is skipped, a changed one replaces its old version.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from graph.chunking import chunk_text
from graph.errors import CongmingError, InputError
from graph.extract import Extractor
from graph.knowledge import KnowledgeBase
from graph.linking import GraphBuilder
from graph.loaders import DEFAULT_MAX_BYTES, MEDIA_TYPES, load_text
from graph.types import Chunk, Document, stable_id

Status = Literal["added", "replaced", "unchanged", "failed"]


@dataclass(frozen=True, slots=True)
class FileOutcome:
    source: str
    status: Status
    document_id: str | None = None
    chunks: int = 0
    entities: int = 0
    error: str = ""


@dataclass(slots=True)
class IngestReport:
    outcomes: list[FileOutcome] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def chunks(self) -> int:
        return sum(o.chunks for o in self.outcomes)

    @property
    def failed(self) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]


def expand_paths(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Files as given; folders walked (sorted) for the file types the loaders read."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*")
                              if p.is_file() and p.suffix.lower() in MEDIA_TYPES
                              and not any(part.startswith(".") for part in p.parts))
        else:
            yield path


class Ingestor:
    """Reads files or text into a knowledge base for one user at a time."""

    def __init__(self, kb: KnowledgeBase, extractor: Extractor | None = None, *,
                 chunk_size: int = 200, overlap: int = 30, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.kb = kb
        self.builder = GraphBuilder(kb, extractor)
        self.chunk_size = chunk_size
        self.overlap = overlap
        self.max_bytes = max_bytes

    def ingest_files(self, paths: Iterable[str | Path], *, user_id: str, collection: str = "default",
                     on_file: Callable[[FileOutcome], None] | None = None) -> IngestReport:
        """Ingest files and folders; a bad file is reported and the rest go on."""
        report = IngestReport()
        started = time.perf_counter()
        try:
            for path in expand_paths(paths):
                outcome = self._ingest_file(path, user_id, collection)
                report.outcomes.append(outcome)
                if on_file is not None:
                    on_file(outcome)
        finally:
            self.kb.save()
            report.seconds = time.perf_counter() - started
        return report

    def _ingest_file(self, path: Path, user_id: str, collection: str) -> FileOutcome:
        source = str(path.resolve()) if path.exists() else str(path)
        try:
            loaded = load_text(path, max_bytes=self.max_bytes)
            return self.ingest_text(loaded.text, user_id=user_id, source=source, title=loaded.title,
                                    collection=collection, content_hash=loaded.content_hash,
                                    metadata={"media_type": loaded.media_type, **loaded.metadata})
        except CongmingError as exc:
            return FileOutcome(source, "failed", error=str(exc))

    def ingest_text(self, text: str, *, user_id: str, source: str, title: str = "",
                    collection: str = "default", content_hash: str | None = None,
                    metadata: dict | None = None) -> FileOutcome:
        """Ingest one document's text; ``source`` names it (a path, URL or any stable name)."""
        if not user_id or not source:
            raise InputError("ingest_text needs a user_id and a source name.")
        content_hash = content_hash or hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()
        document_id = stable_id("doc", user_id, collection, source)
        existing = self.kb.documents.get_document(user_id, document_id)
        if existing is not None and existing.content_hash == content_hash:
            chunks = len(self.kb.documents.document_chunks(user_id, document_id))
            return FileOutcome(source, "unchanged", document_id, chunks=chunks)
        spans = chunk_text(text, chunk_size=self.chunk_size, overlap=self.overlap)
        if not spans:
            raise InputError(f"{source}: no text to ingest.")
        document = Document(id=document_id, user_id=user_id, source=source, content_hash=content_hash,
                            title=title or Path(source).stem, collection=collection,
                            metadata=metadata or {})
        chunks = [Chunk(id=f"{document_id}-{i}", document_id=document_id, user_id=user_id, ordinal=i,
                        text=span.text, collection=collection, start=span.start, end=span.end)
                  for i, span in enumerate(spans)]
        vectors = self.kb.embed([chunk.text for chunk in chunks])
        items = self.builder.extract(document, chunks)
        index = self.kb.vectors(user_id)  # opened (and repaired) before this document's commit
        with self.kb.db.transaction():
            added = self.kb.documents.add_document(document, chunks, replace=existing is not None)
            self.builder.write(user_id, items, chunks)
        if added.replaced is not None:
            index.remove(added.replaced.chunk_rowids)
        index.add([added.chunk_rowids[chunk.id] for chunk in chunks], vectors)
        status: Status = "replaced" if existing is not None else "added"
        return FileOutcome(source, status, document_id, chunks=len(chunks), entities=len(items.entities))

    def forget_document(self, user_id: str, document_id: str) -> bool:
        """Remove a document completely: chunks, keyword rows, vectors, graph provenance."""
        index = self.kb.vectors(user_id)
        removed = self.kb.documents.delete_document(user_id, document_id)
        if removed is None:
            return False
        index.remove(removed.chunk_rowids)
        index.save()
        return True
