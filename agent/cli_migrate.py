"""`congming export` and `congming import`: move a knowledge base (documents, chunks, graph, facts)
between data directories and graph backends. Registered by ``register_migrate_commands``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

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

from agent.cli_common import ConfigOption, err, load_settings
from agent.cli_knowledge import _knowledge
from agent.errors import CongmingError, InputError

_COLUMNS = (SpinnerColumn(), BarColumn(), MofNCompleteColumn(), TextColumn("records"),
            TimeElapsedColumn(), TextColumn("{task.description}"))


_PLURAL = {"document": "documents", "chunk": "chunks", "entity": "entities", "relation": "relations",
           "merge": "merges"}


def _summary(verb: str, report) -> None:
    counts = ", ".join(f"{n} {_PLURAL.get(kind, kind)}" for kind, n in report.counts.items())
    Console(soft_wrap=True).print(
        f"{verb} {escape(str(report.path))}: {len(report.users)} users; {counts}"
        + (f"; {report.embedded_chunks} chunks embedded" if verb == "Imported" else "")
        + f" ({report.seconds:.1f} s).", highlight=False)


def export(
    path: Annotated[Path, typer.Argument(metavar="PATH", help="File to write (.jsonl, or .jsonl.gz).")],
    user: Annotated[list[str] | None, typer.Option(
        "--user", "-u", help="Only this user (repeat for several); default: every user.")] = None,
    config: ConfigOption = None,
) -> None:
    """Write the knowledge base to one file: documents, chunks, entities, relations (remembered facts
    included) and merges; remembered conversation turns are not exported."""
    from graph.migrate import export_knowledge, export_totals

    if user is not None and not all(u.strip() for u in user):
        err.print("[red]error:[/red] --user must not be empty.")
        raise typer.Exit(2)
    settings = load_settings(config)
    with _knowledge(settings) as (kb, _):
        try:
            total = export_totals(kb, user)
            with Progress(*_COLUMNS, console=err) as progress:
                task = progress.add_task("exporting", total=total)
                report = export_knowledge(kb, path, user_ids=user, progress=lambda kind, done: (
                    progress.update(task, completed=done, description=kind)))
        except CongmingError as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}")
            raise typer.Exit(1) from exc
    _summary("Exported", report)


def import_(
    path: Annotated[Path, typer.Argument(metavar="PATH", help="A file written by `congming export`.")],
    config: ConfigOption = None,
) -> None:
    """Load a file written by `congming export` (into users that have no data here yet), then
    embed its chunks with this installation's embedder."""
    from graph.migrate import check_file, import_knowledge

    settings = load_settings(config)
    try:
        with err.status("Checking the file…"):
            _, counts = check_file(path)
    except InputError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from exc
    with _knowledge(settings) as (kb, _):
        try:
            with Progress(*_COLUMNS, console=err) as progress:
                task = progress.add_task("importing", total=sum(counts.values()))
                report = import_knowledge(kb, path, progress=lambda kind, done: (
                    progress.update(task, completed=done, description=kind)))
        except CongmingError as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}")
            raise typer.Exit(1) from exc
    _summary("Imported", report)


def register_migrate_commands(app: typer.Typer) -> None:
    app.command()(export)
    app.command("import")(import_)
