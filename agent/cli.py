"""The `congming` command line."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from agent.cli_common import ConfigOption, UserOption, err, load_settings
from agent.cli_knowledge import register_knowledge_commands
from agent.cli_mcp import register_mcp_command
from agent.cli_memory import register_memory_commands
from agent.cli_migrate import register_migrate_commands
from agent.cli_models import register_models_command
from agent.cli_serve import register_serve_command
from agent.cli_ui import register_ui_commands
from agent.errors import CongmingError
from agent.settings import DEFAULT_USER_ID

app = typer.Typer(
    help="congming (聪明): a local-first chat agent that remembers and does not make things up.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)

@app.command()
def chat(
    config: ConfigOption = None,
    model: Annotated[str | None, typer.Option(help="GGUF path, model dir or server model name.")] = None,
    backend: Annotated[str | None, typer.Option(help="llamacpp | transformers | openai | fake")] = None,
    threads: Annotated[int | None, typer.Option(min=1, help="CPU threads for inference.")] = None,
    max_tokens: Annotated[int | None, typer.Option(min=1, help="Most new tokens per reply.")] = None,
    temperature: Annotated[float | None, typer.Option(min=0.0, max=2.0)] = None,
    user: UserOption = DEFAULT_USER_ID,
    show_reasoning: Annotated[
        bool, typer.Option("--show-reasoning", help="Print the chain of thought.")] = False,
    show_draft: Annotated[
        bool, typer.Option("--show-draft", help="Also print the unchecked draft as it is written.")] = False,
) -> None:
    """Chat in the terminal: answers from your documents and memory, cited and checked.

    /reset clears the conversation, /exit or Ctrl-D quits."""
    settings = load_settings(config, model=model, backend=backend, threads=threads,
                             max_tokens=max_tokens, temperature=temperature)
    sys.stdin.reconfigure(errors="replace")
    from agent.cli_chat import chat_loop
    from agent.core import Agent

    try:
        with Agent(settings) as agent:
            with err.status(f"Loading the {settings.llm.backend} model and the knowledge base…"):
                agent.turn_runner()
            if sys.stdin.isatty():
                err.print("[dim]congming chat — /reset clears the conversation, /exit quits.[/dim]")
            chat_loop(agent, sys.stdin, sys.stdout, user_id=user, show_reasoning=show_reasoning,
                      show_draft=show_draft)
    except CongmingError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
    except KeyboardInterrupt:
        pass


@app.command()
def doctor(
    config: ConfigOption = None,
    load: Annotated[bool, typer.Option("--load", help="Also load the models and run them once.")] = False,
) -> None:
    """Check the installation: model, backends, stores; say what is missing and how to fix it."""
    from agent.doctor import run_checks

    settings = load_settings(config)
    checks = run_checks(settings, load=load)
    table = Table(title="congming doctor")
    for column in ("check", "status", "detail", "fix"):
        table.add_column(column, overflow="fold")
    colour = {"ok": "green", "warn": "yellow", "fail": "red"}
    for check in checks:
        table.add_row(check.name, f"[{colour[check.status]}]{check.status}[/]", check.detail, check.fix)
    Console().print(table)
    if any(check.status == "fail" for check in checks):
        raise typer.Exit(1)


register_knowledge_commands(app)
register_mcp_command(app)
register_memory_commands(app)
register_migrate_commands(app)
register_models_command(app)
register_serve_command(app)
register_ui_commands(app)

if __name__ == "__main__":
    app()
