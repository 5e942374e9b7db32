"""The `congming` command line."""

from __future__ import annotations

import sys
from typing import Annotated, TextIO

import typer
from rich.console import Console
from rich.table import Table

from agent.cli_common import ConfigOption, err, load_settings
from agent.cli_knowledge import register_knowledge_commands
from agent.errors import CongmingError, ContextOverflowError
from agent.llm import LLM, ChatMessage, GenerationOptions, create_llm
from agent.memory_port import MemoryModelPort
from memory.errors import ContextBudgetError
from memory.working import WorkingMemory

app = typer.Typer(
    help="congming (聪明): a local-first chat agent that remembers and does not make things up.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)

SYSTEM_PROMPT = "You are congming, a helpful assistant. Answer briefly and truthfully."


def new_memory(llm: LLM, options: GenerationOptions, system: str) -> WorkingMemory:
    """One conversation's working memory: the context leaves room for the reply, and turns
    that no longer fit are folded into an extractive rolling summary (no LLM call: the
    packaged 135M model summarises poorly)."""
    reserve = min(options.max_tokens, 256)
    return WorkingMemory(MemoryModelPort(llm), budget=llm.capabilities.max_context - reserve,
                         system=system)


def chat_loop(llm: LLM, options: GenerationOptions, stdin: TextIO, stdout: TextIO,
              *, system: str = SYSTEM_PROMPT, prompt: str = "you> ") -> int:
    """Read messages line by line, stream each reply; returns the number of turns answered."""
    memory = new_memory(llm, options, system)
    answered = 0
    interactive = stdin.isatty()
    while True:
        if interactive:
            stdout.write(prompt)
            stdout.flush()
        line = stdin.readline()
        if not line:
            break
        message = line.strip()
        if not message:
            continue
        if message in ("/exit", "/quit"):
            break
        if message == "/reset":
            memory = new_memory(llm, options, system)
            stdout.write("(conversation cleared)\n")
            continue
        try:
            context = memory.build(message)
            messages = [ChatMessage(m.role, m.content) for m in context.messages]
            stdout.write("congming> ")
            reply = []
            for piece in llm.stream(messages, options):
                reply.append(piece)
                stdout.write(piece)
                stdout.flush()
            stdout.write("\n")
        except (ContextBudgetError, ContextOverflowError) as exc:
            stdout.write(f"\n(message not sent: {exc})\n")
            continue
        except KeyboardInterrupt:
            stdout.write("\n(stopped)\n")
            continue
        memory.add_turn(message, "".join(reply).strip())
        answered += 1
    return answered


@app.command()
def chat(
    config: ConfigOption = None,
    model: Annotated[str | None, typer.Option(help="GGUF path, model dir or server model name.")] = None,
    backend: Annotated[str | None, typer.Option(help="llamacpp | transformers | openai | fake")] = None,
    threads: Annotated[int | None, typer.Option(min=1, help="CPU threads for inference.")] = None,
    max_tokens: Annotated[int | None, typer.Option(min=1, help="Most new tokens per reply.")] = None,
    temperature: Annotated[float | None, typer.Option(min=0.0, max=2.0)] = None,
) -> None:
    """Chat in the terminal (streamed answers, multi-turn). /reset clears, /exit or Ctrl-D quits."""
    settings = load_settings(config, model=model, backend=backend, threads=threads,
                             max_tokens=max_tokens, temperature=temperature)
    sys.stdin.reconfigure(errors="replace")
    try:
        llm = create_llm(settings.llm)
        with err.status(f"Loading {settings.llm.backend} model…"):
            llm.open()
        if sys.stdin.isatty():
            err.print("[dim]congming chat — /reset clears the conversation, /exit quits.[/dim]")
        options = GenerationOptions(max_tokens=settings.llm.max_tokens,
                                    temperature=settings.llm.temperature, seed=settings.llm.seed)
        chat_loop(llm, options, sys.stdin, sys.stdout)
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

if __name__ == "__main__":
    app()
