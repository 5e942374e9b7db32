"""`congming ingest`, `congming documents`, `congming forget-document`: the knowledge base
from the command line. Registered on the main app by ``register_knowledge_commands``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from agent.cli_common import ConfigOption, UserOption, err, exit_on_error, load_settings
from agent.errors import CongmingError
from agent.settings import DEFAULT_USER_ID, Settings

if TYPE_CHECKING:
    from graph.ingest import FileOutcome, Ingestor, IngestReport
    from graph.knowledge import KnowledgeBase

STATUSES = ("added", "replaced", "unchanged", "failed")


def _check_user(user: str) -> None:
    if not user.strip():
        err.print("[red]error:[/red] --user must not be empty.")
        raise typer.Exit(2)


@contextmanager
def _knowledge(settings: Settings) -> Iterator[tuple[KnowledgeBase, Ingestor]]:
    """The opened knowledge base and ingestor; closed (indexes saved) when the command ends."""
    from agent.components import open_knowledge

    with exit_on_error():
        kb, ingestor = open_knowledge(settings)
    try:
        yield kb, ingestor
    finally:
        kb.close()


def _open_vectors(kb: KnowledgeBase, user: str) -> None:
    """Load the embedder and the user's vector index up front: a missing model fails once, here,
    not once per file; a repair after a crash is reported."""
    try:
        with err.status("Opening the knowledge base…"):
            kb.vectors(user)
    except CongmingError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from exc
    repaired = kb.repairs.get(user)
    if repaired is not None:
        err.print(f"[yellow]Repaired the vector index after an interrupted run:[/yellow] "
                  f"{len(repaired.missing)} vectors re-embedded, {len(repaired.extra)} stale ones removed.")


def _ingest_with_progress(ingestor: Ingestor, files: list[Path], user: str,
                          collection: str) -> IngestReport:
    columns = (SpinnerColumn(), BarColumn(), MofNCompleteColumn(), TextColumn("files"),
               TextColumn("{task.fields[chunks]} chunks"), TextColumn("{task.fields[rate]}"),
               TimeElapsedColumn(), TextColumn("{task.description}"))
    started = time.perf_counter()
    written = 0
    with Progress(*columns, console=err) as progress:
        task = progress.add_task("", total=len(files), chunks=0, rate="")

        def on_start(path: Path) -> None:
            progress.update(task, description=path.name)

        def on_file(outcome: FileOutcome) -> None:
            nonlocal written
            if outcome.status in ("added", "replaced"):
                written += outcome.chunks
            rate = written / max(time.perf_counter() - started, 1e-6)
            progress.update(task, advance=1, chunks=written, rate=f"{rate:.1f} chunks/s")

        report = ingestor.ingest_files(files, user_id=user, collection=collection,
                                       on_start=on_start, on_file=on_file)
        progress.update(task, description="done")
    return report


def _print_summary(report: IngestReport, user: str) -> None:
    out = Console(soft_wrap=True)
    table = Table(title=f"Ingested for user {escape(repr(user))}")
    table.add_column("status")
    table.add_column("files", justify="right")
    for status in STATUSES:
        table.add_row(status, str(report.count(status)))
    out.print(table)
    rate = report.chunks_written / report.seconds if report.seconds > 0 else 0.0
    out.print(f"{report.chunks_written} chunks written in {report.seconds:.1f} s "
              f"({rate:.1f} chunks/s); {report.chunks} chunks in these files in all.")
    for outcome in report.failed:
        out.print(f"[red]failed:[/red] {escape(outcome.error)}", highlight=False)


def ingest(
    paths: Annotated[list[Path], typer.Argument(metavar="PATH", show_default=False,
                                                help="Files or folders (.txt .md .html .pdf .docx).")],
    user: UserOption = DEFAULT_USER_ID,
    collection: Annotated[str, typer.Option("--collection", help="Collection to put them in.")] = "default",
    config: ConfigOption = None,
) -> None:
    """Read files and folders into the knowledge base (unchanged files are skipped).

    Exit code: 0 all files went in, 1 some failed (the others are kept), 2 bad arguments.
    """
    from graph.ingest import expand_paths

    _check_user(user)
    if not collection.strip():
        err.print("[red]error:[/red] --collection must not be empty.")
        raise typer.Exit(2)
    settings = load_settings(config)
    files = list(expand_paths(paths))
    with _knowledge(settings) as (kb, ingestor):
        _open_vectors(kb, user)
        report = _ingest_with_progress(ingestor, files, user, collection)
    _print_summary(report, user)
    if report.failed:
        raise typer.Exit(1)


def documents(
    user: UserOption = DEFAULT_USER_ID,
    collection: Annotated[str | None, typer.Option("--collection", help="Only this collection.")] = None,
    config: ConfigOption = None,
) -> None:
    """List the documents in the knowledge base."""
    _check_user(user)
    settings = load_settings(config)
    with _knowledge(settings) as (kb, _):
        docs = kb.documents.list_documents(user, collection=collection)
        counts = kb.documents.chunk_counts(user, [d.id for d in docs])
    out = Console()
    if not docs:
        out.print(f"No documents for user {escape(repr(user))}. "
                  f"Add some with: congming ingest PATH --user {escape(user)}")
        return
    table = Table(title=f"Documents of user {escape(repr(user))}")
    table.add_column("id", no_wrap=True)
    table.add_column("title", overflow="fold")
    table.add_column("source", overflow="fold")
    table.add_column("collection")
    table.add_column("chunks", justify="right")
    for doc in docs:
        table.add_row(doc.id, escape(doc.title), escape(doc.source), escape(doc.collection),
                      str(counts.get(doc.id, 0)))
    out.print(table)


def forget_document(
    document: Annotated[str, typer.Argument(metavar="DOC_ID_OR_SOURCE",
                                            help="A document id (see `congming documents`) or the "
                                                 "path it was ingested from.")],
    user: UserOption = DEFAULT_USER_ID,
    collection: Annotated[str | None, typer.Option(
        "--collection", help="Only from this collection (a path ingested into several).")] = None,
    config: ConfigOption = None,
) -> None:
    """Remove a document completely: its chunks, vectors, keyword rows and graph facts."""
    _check_user(user)
    settings = load_settings(config)
    with _knowledge(settings) as (kb, ingestor):
        matches = [d for d in ingestor.find_documents(user, document)
                   if collection is None or d.collection == collection]
        if not matches:
            err.print(f"[red]error:[/red] no document {escape(repr(document))} for user "
                      f"{escape(repr(user))}; list them with: congming documents --user {escape(user)}")
            raise typer.Exit(1)
        _open_vectors(kb, user)
        for doc in matches:
            removed = ingestor.forget_document(user, doc.id)
            if removed is None:
                continue
            Console(soft_wrap=True).print(
                f"Forgot {doc.id} ({escape(doc.source)}, collection {escape(repr(doc.collection))}): "
                f"{len(removed.chunk_ids)} chunks, {removed.graph.entities} entities and "
                f"{removed.graph.relations} relations removed.", highlight=False)


def register_knowledge_commands(app: typer.Typer) -> None:
    app.command()(ingest)
    app.command()(documents)
    app.command("forget-document")(forget_document)
