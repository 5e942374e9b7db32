"""Ingestion: files -> text -> chunks -> vectors, keywords and graph.

Each document is written to SQLite in one transaction (document, chunks, keyword rows,
entities, relations and mentions), then its vectors are added to the user's FAISS index.
A crash before the commit leaves nothing of the document; a crash after it leaves vectors
missing, which the knowledge base repairs when it next opens the index. Document ids are
derived from (user, collection, source), so re-running an ingest never duplicates: an
unchanged file (same content hash) is skipped, a changed one replaces its old version.
The vector indexes are also saved every ``save_every_s`` seconds of a long batch, so a crash
leaves little to re-embed. Files are embedded and extracted in batches of about
``batch_chunks`` chunks (one embedder call, one ``extract_many`` call), then written one
document at a time as above.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol, TypeVar, runtime_checkable

import numpy as np

from graph.chunking import chunk_text, with_title
from graph.documents import RemovedDocument
from graph.errors import CongmingError, InputError
from graph.extract import Extraction, Extractor
from graph.knowledge import KnowledgeBase
from graph.linking import GraphBuilder
from graph.loaders import DEFAULT_MAX_BYTES, MEDIA_TYPES, load_text
from graph.types import Chunk, Document, stable_id

log = logging.getLogger(__name__)

Status = Literal["added", "replaced", "unchanged", "failed"]
T = TypeVar("T")


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
    def chunks_written(self) -> int:
        """Chunks of added and replaced documents (unchanged ones cost nothing)."""
        return sum(o.chunks for o in self.outcomes if o.status in ("added", "replaced"))

    @property
    def failed(self) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]


@dataclass(frozen=True, slots=True)
class _Pending:
    """A document read and chunked, waiting for its batch's vectors and extractions."""

    document: Document
    chunks: list[Chunk]
    replace: bool  # an older version is stored


@runtime_checkable
class BatchExtractor(Extractor, Protocol):
    """An extractor that also does many texts in one call, faster than one by one."""

    def extract_many(self, texts: Sequence[str]) -> list[Extraction]: ...


class _Precomputed:
    """An extractor handing out extractions made for a whole batch of chunks in one
    ``extract_many`` call; other texts go to the extractor itself."""

    def __init__(self, extractor: BatchExtractor, texts: list[str]) -> None:
        self.name = extractor.name
        self._extractor = extractor
        unique = list(dict.fromkeys(texts))
        self._done = dict(zip(unique, extractor.extract_many(unique), strict=True))

    def extract(self, text: str) -> Extraction:
        found = self._done.get(text)
        return found if found is not None else self._extractor.extract(text)


def expand_paths(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Files as given; folders walked (sorted) for the file types the loaders read, leaving out
    hidden files and folders inside them. A folder without any such file is yielded itself,
    so that ingesting it reports a failure instead of silently doing nothing."""
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            found = sorted(p for p in path.rglob("*")
                           if p.suffix.lower() in MEDIA_TYPES and p.is_file()
                           and not any(part.startswith(".") for part in p.relative_to(path).parts))
            yield from found or [path]
        else:
            yield path


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


class Ingestor:
    """Reads files or text into a knowledge base for one user at a time."""

    def __init__(self, kb: KnowledgeBase, extractor: Extractor | None = None, *,
                 chunk_size: int = 200, overlap: int = 30, max_bytes: int = DEFAULT_MAX_BYTES,
                 save_every_s: float = 60.0, batch_chunks: int = 64) -> None:
        self.kb = kb
        self.builder = GraphBuilder(kb, extractor)
        self.chunk_size = chunk_size
        self.overlap = overlap
        self.max_bytes = max_bytes
        self.save_every_s = save_every_s
        self.batch_chunks = batch_chunks  # chunks embedded and extracted together

    def ingest_files(self, paths: Iterable[str | Path], *, user_id: str, collection: str = "default",
                     on_start: Callable[[Path], None] | None = None,
                     on_file: Callable[[FileOutcome], None] | None = None) -> IngestReport:
        """Ingest files and folders; a bad file is reported and the rest go on.

        ``on_start(path)`` is called before each file, ``on_file(outcome)`` after it (in file
        order; documents are embedded and extracted in batches of about ``batch_chunks``
        chunks, so their outcomes arrive a batch at a time).
        """
        if not user_id:
            raise InputError("ingest_files needs a user_id.")
        report = IngestReport()
        queue: list[FileOutcome | _Pending] = []  # in file order, waiting for a batch to finish

        def finish(batch_done: bool) -> None:
            pending = [item for item in queue if isinstance(item, _Pending)]
            if pending and not batch_done:
                return
            written = iter(self._write_files(pending))
            for item in queue:
                outcome = next(written) if isinstance(item, _Pending) else item
                report.outcomes.append(outcome)
                if on_file is not None:
                    on_file(outcome)
            queue.clear()

        started = saved = time.perf_counter()
        try:
            for path in expand_paths(paths):
                if on_start is not None:
                    on_start(path)
                source = str(path.resolve()) if path.exists() else str(path)
                if any(isinstance(i, _Pending) and i.document.source == source for i in queue):
                    finish(batch_done=True)  # the same file twice: write the first one first
                queue.append(self._guarded(source, lambda p=path, s=source: self._prepare_file(
                    p, s, user_id, collection)))
                save_due = time.perf_counter() - saved > self.save_every_s
                finish(batch_done=save_due or sum(len(i.chunks) for i in queue
                                                  if isinstance(i, _Pending)) >= self.batch_chunks)
                if save_due:
                    self.kb.save()
                    saved = time.perf_counter()
            finish(batch_done=True)
        finally:
            self.kb.save()
            report.seconds = time.perf_counter() - started
        return report

    @staticmethod
    def _guarded(source: str, step: Callable[[], T]) -> T | FileOutcome:
        """``step()``, or a failed outcome when it raises."""
        try:
            return step()
        except CongmingError as exc:
            return FileOutcome(source, "failed", error=str(exc))
        except Exception as exc:  # a parser choking on an odd file must not end the batch
            log.exception("Ingesting %s failed", source)
            return FileOutcome(source, "failed", error=f"{source}: unexpected {type(exc).__name__}: "
                               f"{exc}. The other files go on; please report this with the file.")

    def _prepare_file(self, path: Path, source: str, user_id: str,
                      collection: str) -> FileOutcome | _Pending:
        if path.is_dir():
            raise InputError(f"{source}: the folder holds no files of a supported type "
                             f"({', '.join(sorted(MEDIA_TYPES))}).")
        unchanged = self._unchanged_file(path, source, user_id, collection)
        if unchanged is not None:
            return unchanged
        loaded = load_text(path, max_bytes=self.max_bytes)
        return self._prepare(loaded.text, user_id=user_id, source=source, title=loaded.title,
                             collection=collection, content_hash=loaded.content_hash,
                             metadata={"media_type": loaded.media_type, **loaded.metadata})

    def _unchanged_file(self, path: Path, source: str, user_id: str,
                        collection: str) -> FileOutcome | None:
        """The outcome for a file whose bytes match the stored version, found without parsing it."""
        existing = self.kb.documents.get_document(user_id, stable_id("doc", user_id, collection, source))
        try:
            if (existing is None or not path.is_file() or path.stat().st_size > self.max_bytes
                    or file_sha256(path) != existing.content_hash):
                return None
        except OSError:
            return None  # load_text reports it
        return self._unchanged(existing)

    def _unchanged(self, document: Document) -> FileOutcome:
        chunks = self.kb.documents.chunk_counts(document.user_id, [document.id]).get(document.id, 0)
        return FileOutcome(document.source, "unchanged", document.id, chunks=chunks)

    def ingest_text(self, text: str, *, user_id: str, source: str, title: str = "",
                    collection: str = "default", content_hash: str | None = None,
                    metadata: dict | None = None) -> FileOutcome:
        """Ingest one document's text; ``source`` names it (a path, URL or any stable name)."""
        prepared = self._prepare(text, user_id=user_id, source=source, title=title,
                                 collection=collection, content_hash=content_hash, metadata=metadata)
        if isinstance(prepared, FileOutcome):
            return prepared
        vectors, builder = self._embed_and_extract([prepared])
        return self._write(prepared, vectors, builder)

    def _prepare(self, text: str, *, user_id: str, source: str, title: str, collection: str,
                 content_hash: str | None, metadata: dict | None) -> FileOutcome | _Pending:
        """The document and its chunks, or the outcome when it is unchanged."""
        if not user_id or not source:
            raise InputError("ingest_text needs a user_id and a source name.")
        content_hash = content_hash or hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()
        document_id = stable_id("doc", user_id, collection, source)
        existing = self.kb.documents.get_document(user_id, document_id)
        if existing is not None and existing.content_hash == content_hash:
            return self._unchanged(existing)
        spans = chunk_text(text, chunk_size=self.chunk_size, overlap=self.overlap)
        if not spans:
            raise InputError(f"{source}: no text to ingest.")
        document = Document(id=document_id, user_id=user_id, source=source, content_hash=content_hash,
                            title=title or Path(source).stem, collection=collection,
                            metadata=metadata or {})
        chunks = [Chunk(id=f"{document_id}-{i}", document_id=document_id, user_id=user_id, ordinal=i,
                        text=span.text, collection=collection, start=span.start, end=span.end)
                  for i, span in enumerate(spans)]
        return _Pending(document, chunks, replace=existing is not None)

    def _embed_and_extract(self, batch: list[_Pending]) -> tuple[np.ndarray, GraphBuilder]:
        """Vectors for all the batch's chunks (one embedder call; each chunk is embedded with
        its document's title, see ``with_title``) and a graph builder whose extractor already
        holds their extractions of the chunk text alone (one ``extract_many`` call, when it has one)."""
        texts = [chunk.text for pending in batch for chunk in pending.chunks]
        vectors = self.kb.embed([with_title(pending.document.title, chunk.text) for pending in batch
                                 for chunk in pending.chunks])
        extractor = self.builder.extractor
        if not isinstance(extractor, BatchExtractor) or len(texts) < 2:
            return vectors, self.builder
        return vectors, GraphBuilder(self.kb, _Precomputed(extractor, texts))

    def _write_files(self, batch: list[_Pending]) -> list[FileOutcome]:
        if len(batch) == 1:
            one = batch[0]
            return [self._guarded(one.document.source,
                                  lambda: self._write(one, *self._embed_and_extract([one])))]
        try:
            vectors, builder = self._embed_and_extract(batch)
        except Exception:  # one document spoils the batch: do them one by one so only it fails
            return [outcome for pending in batch for outcome in self._write_files([pending])]
        outcomes, row = [], 0
        for pending in batch:
            rows = vectors[row:row + len(pending.chunks)]
            row += len(pending.chunks)
            outcomes.append(self._guarded(pending.document.source,
                                          lambda p=pending, v=rows: self._write(p, v, builder)))
        return outcomes

    def _write(self, pending: _Pending, vectors: np.ndarray, builder: GraphBuilder) -> FileOutcome:
        """One document in one SQLite transaction, then its vectors into the index."""
        document, chunks = pending.document, pending.chunks
        items = builder.extract(document, chunks)
        index = self.kb.vectors(document.user_id)  # opened (and repaired) before the commit
        with self.kb.db.transaction():
            added = self.kb.documents.add_document(document, chunks, replace=pending.replace)
            if added.replaced is not None:  # an external graph keeps the old chunks' provenance
                self.kb.forget_sources(document.user_id, added.replaced.chunk_ids)
            builder.write(document.user_id, items, chunks)
        if added.replaced is not None:
            index.remove(added.replaced.chunk_rowids)
        index.add([added.chunk_rowids[chunk.id] for chunk in chunks], vectors)
        status: Status = "replaced" if pending.replace else "added"
        return FileOutcome(document.source, status, document.id, chunks=len(chunks),
                           entities=len(items.entities))

    def forget_document(self, user_id: str, document_id: str) -> RemovedDocument | None:
        """Remove a document completely: chunks, keyword rows, vectors, graph provenance (and
        the entities and relations only it gave). None when there is no such document."""
        index = self.kb.vectors(user_id)
        # An external graph first: if it is down, nothing is removed and the call can be retried.
        graph = self.kb.forget_sources(
            user_id, [c.id for c in self.kb.documents.document_chunks(user_id, document_id)])
        removed = self.kb.documents.delete_document(user_id, document_id)
        if removed is None:
            return None
        if graph is not None:
            removed = dataclasses.replace(removed, graph=graph)
        index.remove(removed.chunk_rowids)
        index.save()
        return removed

    def find_documents(self, user_id: str, ref: str) -> list[Document]:
        """The documents ``ref`` names: a document id, or the source (file path) they were
        ingested from - one per collection it went into."""
        document = self.kb.documents.get_document(user_id, ref)
        if document is not None:
            return [document]
        sources = [ref]
        with contextlib.suppress(OSError, ValueError, RuntimeError):
            sources.append(str(Path(ref).expanduser().resolve()))
        found = {d.id: d for s in dict.fromkeys(sources)
                 for d in self.kb.documents.list_documents(user_id, source=s)}
        return list(found.values())
