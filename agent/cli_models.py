"""`congming models`: the models configured and found, and which one is in use
(agent/llm/catalog.py). Registered on the main app by ``register_models_command``."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from agent.cli_common import ConfigOption, err, exit_on_error, load_settings


def _size(size: int | None) -> str:
    if size is None:
        return ""
    return f"{size / 1e9:.1f} GB" if size >= 1e9 else f"{size / 1e6:.0f} MB"


def models(config: ConfigOption = None) -> None:
    """List the models configured and found (packaged, models folder, Hugging Face cache, an
    OpenAI-compatible server) and mark the one in use.

    Use one with CONGMING_LLM__MODEL (llm.model): a .gguf path, a file name in the models folder,
    hf:ORG/REPO/FILE.gguf (downloaded once into the models folder), or a server model name with
    llm.backend = openai."""
    settings = load_settings(config)
    with exit_on_error():
        from agent.llm.catalog import list_models, models_dir_of

        catalog = list_models(settings.llm)
    table = Table(title="congming models")
    for column in ("in use", "source", "llm.model", "file / server", "size"):
        table.add_column(column, overflow="fold")
    for entry in catalog.entries:
        table.add_row("*" if entry.in_use else "", entry.source,
                      escape(entry.name) if entry.name else "(empty)", escape(entry.location),
                      _size(entry.size_bytes))
    out = Console()
    out.print(table)
    in_use = catalog.in_use
    out.print(f"in use: {escape(in_use.backend)} backend, {escape(in_use.label)}")
    out.print(f"models folder: {escape(str(models_dir_of(settings.llm)))}")
    for note in catalog.notes:
        err.print(f"[yellow]note:[/yellow] {escape(note)}")
    if in_use.problem:
        label = "note" if in_use.pending else "error"
        colour = "yellow" if in_use.pending else "red"
        err.print(f"[{colour}]{label}:[/{colour}] {escape(in_use.problem)}")
        if not in_use.pending:
            raise typer.Exit(1)


def register_models_command(app: typer.Typer) -> None:
    app.command()(models)
