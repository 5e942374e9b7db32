"""Export a knowledge base to one file and import it into another, across graph backends
(embedded SQLite <-> Neo4j) without loss: ``congming export`` / ``congming import``.

The file is JSON lines (gzip-compressed when its name ends in ``.gz``), one record a line::

    {"kind": "header", "format": "congming-export", "version": 1, "users": [...], ...}
    {"kind": "document", ...}  {"kind": "chunk", ...}     per user, in this order
    {"kind": "entity", ...}    {"kind": "relation", ...}  {"kind": "merge", ...}
    {"kind": "end", "counts": {"document": 2, ...}}

Records carry every stored field (``graph.sqlite_dump`` describes them): documents with their
times, chunks with their text and offsets, entities with names, aliases, properties and
provenance (= their mentions), relations with per-source weights, validity and provenance,
and the merge history. Remembered facts are relations of the graph, so they move too;
remembered conversation turns live in their own store (``<data_dir>/memory``) and are not
part of an export. Vectors are not written: import
embeds the chunks again with the target's embedder, and rebuilds the keyword index.

Import reads the whole file once to check it (a foreign, corrupt or cut-short file is refused
before anything is written), refuses users the target already has data for, and writes the
embedded part in one SQLite transaction. Exports are written to a temporary file and renamed.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from graph.errors import CongmingError, InputError
from graph.knowledge import KnowledgeBase
from graph.sqlite_dump import SQLiteContent, SQLiteGraphDump

FORMAT = "congming-export"
VERSION = 1
KINDS = ("document", "chunk", "entity", "relation", "merge")
REQUIRED: dict[str, frozenset[str]] = {
    "document": frozenset({"user_id", "id", "collection", "source", "content_hash", "title", "metadata",
                           "created_at", "updated_at"}),
    "chunk": frozenset({"user_id", "id", "document_id", "collection", "ordinal", "text", "start", "end"}),
    "entity": frozenset({"user_id", "id", "name", "type", "properties", "names", "sources",
                         "created_at", "updated_at"}),
    "relation": frozenset({"user_id", "id", "source_id", "target_id", "type", "weight", "base_weight",
                           "properties", "valid_from", "valid_to", "created_at", "updated_at", "sources"}),
    "merge": frozenset({"user_id", "seq", "kept_id", "merged_id", "merged_name", "merged_at", "reason",
                        "details"}),
}
BATCH = 500

Progress = Callable[[str, int], None]  # (kind of the record just handled, records so far)


class ExportFileError(InputError):
    """The file is not a congming export this version can read, or it is damaged."""


@dataclass
class MigrationReport:
    path: Path
    users: list[str]
    counts: dict[str, int] = field(default_factory=dict)
    embedded_chunks: int = 0  # chunks embedded again on import
    seconds: float = 0.0


def _stores(kb: KnowledgeBase) -> tuple[SQLiteContent, Any]:
    """The documents part (always SQLite) and the dumper of the knowledge base's graph backend."""
    if not kb.external_graph:
        return SQLiteContent(kb.db), SQLiteGraphDump(kb.db)
    from graph.neo4j_dump import Neo4jGraphDump
    from graph.neo4j_store import Neo4jGraphStore

    if not isinstance(kb.graph, Neo4jGraphStore):
        raise CongmingError(f"Export and import know the SQLite and Neo4j graph stores, not "
                            f"{type(kb.graph).__name__}.")
    return SQLiteContent(kb.db), Neo4jGraphDump(kb.graph)


def _line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, sort_keys=True, allow_nan=False) + "\n"


def _records(content: SQLiteContent, graph: Any, user_id: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for kind, rows in (("document", content.documents(user_id)), ("chunk", content.chunks(user_id)),
                       ("entity", graph.entities(user_id)), ("relation", graph.relations(user_id)),
                       ("merge", graph.merges(user_id))):
        for row in rows:
            yield kind, row


@contextlib.contextmanager
def _atomic_text(path: Path) -> Iterator[IO[str]]:
    """A text file written next to ``path`` and renamed onto it only when complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temp, "wb") as raw:
            binary: IO[bytes] = gzip.GzipFile(fileobj=raw, mode="wb") if path.suffix == ".gz" else raw
            with io.TextIOWrapper(binary, encoding="utf-8", newline="\n") as text:
                yield text
                text.flush()
                if binary is not raw:
                    binary.close()
                raw.flush()
                os.fsync(raw.fileno())
        os.replace(temp, path)
        with contextlib.suppress(OSError):  # not every platform can fsync a directory
            fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    finally:
        temp.unlink(missing_ok=True)


def export_knowledge(kb: KnowledgeBase, path: str | Path, *, user_ids: list[str] | None = None,
                     progress: Progress | None = None) -> MigrationReport:
    """Write the knowledge of ``user_ids`` (default: every user) to ``path``."""
    started, target = time.perf_counter(), Path(path)
    content, graph = _stores(kb)
    users = sorted(set(user_ids)) if user_ids else sorted(content.users() | graph.users())
    counts = dict.fromkeys(KINDS, 0)
    header = {"kind": "header", "format": FORMAT, "version": VERSION, "users": users,
              "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
              "graph_backend": "neo4j" if kb.external_graph else "sqlite",
              "embedder": {"name": kb.embedder.name, "dim": kb.embedder.dim}}
    with _atomic_text(target) as out:
        out.write(_line(header))
        done = 0
        for user_id in users:
            for kind, row in _records(content, graph, user_id):
                out.write(_line({"kind": kind, **row}))
                counts[kind] += 1
                done += 1
                if progress is not None:
                    progress(kind, done)
        out.write(_line({"kind": "end", "counts": counts}))
    return MigrationReport(target, users, counts, seconds=time.perf_counter() - started)


def export_totals(kb: KnowledgeBase, user_ids: list[str] | None = None) -> int:
    """How many records an export of these users (default: all) writes, for a progress bar."""
    content, graph = _stores(kb)
    users = set(user_ids) if user_ids else content.users() | graph.users()
    total = 0
    for user_id in users:
        counts, stats = content.counts(user_id), kb.graph.stats(user_id)
        total += counts["document"] + counts["chunk"] + stats.entities + stats.relations + stats.merges
    return total


# ---- reading and checking a file ------------------------------------------------------------
@contextlib.contextmanager
def _open_text(path: Path) -> Iterator[IO[str]]:
    if not path.is_file():
        raise ExportFileError(f"{path} does not exist or is not a file.")
    with open(path, "rb") as raw:
        gzipped = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        binary: IO[bytes] = gzip.GzipFile(fileobj=raw, mode="rb") if gzipped else raw
        yield io.TextIOWrapper(binary, encoding="utf-8", errors="strict", newline="\n")


def read_records(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, record) of every line, failing with ExportFileError on a line that is not a
    JSON object, or a file that is not text."""
    source = Path(path)
    try:
        with _open_text(source) as text:
            for number, line in enumerate(text, start=1):
                try:
                    record = json.loads(line)
                except ValueError as exc:
                    raise ExportFileError(f"{source}, line {number}: not JSON ({exc}); the file is "
                                          "damaged or not a congming export.") from exc
                if not isinstance(record, dict):
                    raise ExportFileError(f"{source}, line {number}: not a record.")
                yield number, record
    except (UnicodeDecodeError, OSError, EOFError, gzip.BadGzipFile) as exc:
        raise ExportFileError(f"{source} cannot be read as a congming export ({type(exc).__name__}: "
                              f"{exc}).") from exc


def _check_header(path: Path, record: dict[str, Any]) -> list[str]:
    if record.get("kind") != "header" or record.get("format") != FORMAT:
        raise ExportFileError(f"{path} is not a congming export (its first line is not a "
                              f"{FORMAT!r} header). Make one with `congming export PATH`.")
    version = record.get("version")
    if not isinstance(version, int) or version < 1:
        raise ExportFileError(f"{path}: the header has no valid version.")
    if version > VERSION:
        raise ExportFileError(f"{path} is export format version {version}; this congming reads up to "
                              f"{VERSION}. Upgrade congming to import it.")
    users = record.get("users")
    if not isinstance(users, list) or not all(isinstance(u, str) and u for u in users):
        raise ExportFileError(f"{path}: the header's user list is damaged.")
    return users


def check_file(path: str | Path) -> tuple[dict[str, Any], dict[str, int]]:
    """Read the whole file and check it: (header, record counts). ExportFileError if it is not
    a complete congming export."""
    source, header, users = Path(path), None, set()
    counts, end, links = dict.fromkeys(KINDS, 0), None, _Links()
    for number, record in read_records(source):
        if header is None:
            header, users = record, set(_check_header(source, record))
            continue
        if end is not None:
            raise ExportFileError(f"{source}, line {number}: records after the end record.")
        kind = record.get("kind")
        if kind == "end":
            end = record
            continue
        if kind not in REQUIRED:
            raise ExportFileError(f"{source}, line {number}: unknown record kind {kind!r}.")
        missing = REQUIRED[kind] - set(record)
        if missing:
            raise ExportFileError(f"{source}, line {number}: the {kind} record lacks {sorted(missing)}.")
        if record["user_id"] not in users:
            raise ExportFileError(f"{source}, line {number}: user {record['user_id']!r} is not in the "
                                  "header's user list.")
        links.check(source, number, kind, record)
        counts[kind] += 1
    if header is None:
        raise ExportFileError(f"{source} is empty; it is not a congming export.")
    if end is None:
        raise ExportFileError(f"{source} ends before its end record: the file was cut short. "
                              "Export again.")
    if end.get("counts") != counts:
        raise ExportFileError(f"{source}: the end record counts {end.get('counts')} but the file "
                              f"holds {counts}; the file is damaged. Export again.")
    return header, counts


class _Links:
    """Checks that chunks name a document, and relations two entities, written before them."""

    def __init__(self) -> None:
        self.seen: dict[str, set[tuple[str, str]]] = {"document": set(), "entity": set()}

    def check(self, path: Path, number: int, kind: str, record: dict[str, Any]) -> None:
        user = record["user_id"]
        if kind in self.seen:
            if (user, record["id"]) in self.seen[kind]:
                raise ExportFileError(f"{path}, line {number}: the {kind} {record['id']!r} appears twice.")
            self.seen[kind].add((user, record["id"]))
        wanted = {"chunk": [("document", "document_id")],
                  "relation": [("entity", "source_id"), ("entity", "target_id")]}.get(kind, [])
        for target, key in wanted:
            if (user, record[key]) not in self.seen[target]:
                raise ExportFileError(f"{path}, line {number}: the {kind} points at {target} "
                                      f"{record[key]!r}, which comes nowhere before it.")


# ---- import ------------------------------------------------------------------------------------
def _check_target(kb: KnowledgeBase, users: list[str]) -> None:
    def holds(user_id: str) -> bool:
        stats = kb.graph.stats(user_id)
        return bool(kb.documents.counts(user_id)["documents"] or stats.entities or stats.merges)

    taken = [u for u in users if holds(u)]
    if taken:
        raise InputError(f"The knowledge base in {kb.data_dir} already holds knowledge of users "
                         f"{taken}; import into an empty data directory (CONGMING_DATA_DIR), or "
                         "export with --user for the other users only.")


def _batches(path: Path) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Runs of up to BATCH records of one kind, in file order (documents before their chunks,
    entities before their relations)."""
    kind, batch = "", []
    for _, record in read_records(path):
        this = record.pop("kind")
        if this not in REQUIRED:
            continue
        if (this != kind or len(batch) >= BATCH) and batch:
            yield kind, batch
            batch = []
        kind = this
        batch.append(record)
    if batch:
        yield kind, batch


def _embed_chunks(kb: KnowledgeBase, user_id: str) -> int:
    """Embed the user's chunks that the vector index lacks; how many were embedded."""
    index = kb.vectors(user_id)  # the first open already re-embeds what is missing
    opened = kb.repairs.get(user_id)

    def vectors_for(rowids: Any) -> Any:
        texts = kb.documents.texts_by_rowid(rowids)
        return kb.embed([texts[r] for r in rowids])

    report = index.repair(kb.documents.chunk_rowids(user_id), vectors_for)
    index.save()
    return len(report.missing) + (len(opened.missing) if opened is not None else 0)


def import_knowledge(kb: KnowledgeBase, path: str | Path, *,
                     progress: Progress | None = None) -> MigrationReport:
    """Load an export into ``kb`` (opened; its users must not have data there yet), then embed the
    chunks with ``kb``'s embedder. Nothing is written when the file does not check out."""
    started, source = time.perf_counter(), Path(path)
    header, counts = check_file(source)
    users = header["users"]
    _check_target(kb, users)
    content, graph = _stores(kb)
    loaders = {"document": content.load_documents, "chunk": content.load_chunks,
               "entity": graph.load_entities, "relation": graph.load_relations, "merge": graph.load_merges}
    done = 0
    try:
        with kb.db.transaction():
            for kind, rows in _batches(source):
                loaders[kind](rows)
                done += len(rows)
                if progress is not None:
                    progress(kind, done)
    except Exception as exc:
        if not kb.external_graph:
            raise
        raise CongmingError(
            f"The import stopped: {type(exc).__name__}: {exc}. Nothing was written to the embedded "
            f"database, but Neo4j may hold part of the graph of users {users}: delete their nodes "
            "there (each node has a user_id property), then import again.") from exc
    embedded = sum(_embed_chunks(kb, user) for user in users)
    return MigrationReport(source, users, counts, embedded, time.perf_counter() - started)
