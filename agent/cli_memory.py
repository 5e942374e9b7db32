"""`congming remember`, `congming memories`, `congming forget`: the user's long-term memory from
the command line, through the Agent. Registered on the main app by ``register_memory_commands``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from agent.cli_common import ConfigOption, UserOption, err, exit_on_error, load_settings
from agent.errors import InputError
from agent.settings import DEFAULT_USER_ID

if TYPE_CHECKING:
    from agent.core import Agent


def _check_user(user: str) -> None:
    if not user.strip():
        err.print("[red]error:[/red] --user must not be empty.")
        raise typer.Exit(2)


@contextmanager
def _agent(config: Any) -> Iterator[Agent]:
    """The agent with its long-term memory open; errors end the command with their reason
    (exit 2 for settings, 1 otherwise)."""
    from agent.core import Agent

    settings = load_settings(config)
    agent = Agent(settings)
    try:
        with exit_on_error(InputError):
            yield agent
    finally:
        agent.close()


def _sentence(fact: Any) -> str:
    return fact.describe() or fact.text


def remember(
    text: Annotated[list[str], typer.Argument(metavar="TEXT", show_default=False,
                                              help="What to remember, e.g. \"I live in Hangzhou\".")],
    user: UserOption = DEFAULT_USER_ID,
    config: ConfigOption = None,
) -> None:
    """Remember a fact about you now (what `congming chat` would learn from you saying it)."""
    _check_user(user)
    with _agent(config) as agent:
        facts = agent.remember(" ".join(text), user_id=user)
    out = Console(soft_wrap=True)
    for fact in facts:
        out.print(f"Remembered: {escape(_sentence(fact))}  [dim]({fact.id})[/dim]", highlight=False)
    if not facts:
        out.print("Nothing new: that is already remembered.")


def _span(fact: Any) -> str:
    until = f"{fact.valid_to:%Y-%m-%d}" if fact.valid_to else "now"
    return f"{fact.valid_from:%Y-%m-%d} - {until}"


def memories(
    user: UserOption = DEFAULT_USER_ID,
    history: Annotated[bool, typer.Option("--history", help="Also facts that no longer hold.")] = False,
    everything: Annotated[bool, typer.Option(
        "--all", help="Also facts too faded to be recalled (weaker than memory.min_strength).")] = False,
    config: ConfigOption = None,
) -> None:
    """List what congming remembers about you: facts, strongest first, and how many turns."""
    _check_user(user)
    with _agent(config) as agent:
        memory = agent._long_term()
        found = memory.facts.facts(user, include_history=history) if memory.facts else []
        min_strength = memory.facts.min_strength if memory.facts else 0.0
        turns = memory.episodic.count(user)
        queued = memory.pending(user)
    faded = {f.id for f in found if f.current and f.strength < min_strength}
    facts = found if everything else [f for f in found if f.id not in faded]
    out = Console(soft_wrap=True)
    if facts:
        table = Table(title=f"Remembered about user {escape(repr(user))}")
        for column in ("id", "fact", "strength", "learned", "valid", "state"):
            table.add_column(column, overflow="fold", no_wrap=column == "id")
        for fact in facts:
            state = "ended" if not fact.current else "faded" if fact.id in faded else "current"
            table.add_row(fact.id, escape(_sentence(fact)), f"{fact.strength:.2f}",
                          f"{fact.first_learned:%Y-%m-%d}", _span(fact), state)
        out.print(table)
    elif not faded:
        out.print(f"No facts remembered for user {escape(repr(user))}. Tell one with: "
                  f"congming remember \"I live in Hangzhou\" --user {escape(user)}")
    if faded and not everything:
        out.print(f"{len(faded)} weaker {'fact' if len(faded) == 1 else 'facts'} not shown (strength "
                  f"below {min_strength:g}); --all lists them.", highlight=False)
    out.print(f"{turns} conversation turns remembered; {queued['pending'] + queued['running']} waiting "
              f"to be written, {queued['failed']} failed.", highlight=False)


def forget(
    memory_id: Annotated[str | None, typer.Argument(metavar="ID", show_default=False,
                                                    help="A fact id (see `congming memories`).")] = None,
    everything: Annotated[bool, typer.Option(
        "--all", help="Forget everything remembered about the user.")] = False,
    yes: Annotated[bool, typer.Option(
        "--yes", "-y", help="Do not ask before forgetting everything.")] = False,
    user: UserOption = DEFAULT_USER_ID,
    config: ConfigOption = None,
) -> None:
    """Forget one fact, or (--all) every fact and conversation turn of the user, for good."""
    _check_user(user)
    if everything == (memory_id is not None):
        err.print("[red]error:[/red] give one memory ID, or --all (not both).")
        raise typer.Exit(2)
    if everything and not yes and not typer.confirm(
            f"Forget everything remembered about user {user!r}? This cannot be undone.", err=True):
        err.print("Nothing forgotten.")
        raise typer.Exit(1)
    with _agent(config) as agent:
        removed = agent.forget(memory_id, user_id=user, everything=everything)
    out = Console(soft_wrap=True)
    if everything:
        out.print(f"Forgot everything about user {escape(repr(user))}: {removed} memories deleted.")
    elif removed:
        out.print(f"Forgot {escape(memory_id)}.")
    else:
        err.print(f"[red]error:[/red] no memory {escape(repr(memory_id))} for user {escape(repr(user))}; "
                  f"list them with: congming memories --user {escape(user)}")
        raise typer.Exit(1)


def register_memory_commands(app: typer.Typer) -> None:
    app.command()(remember)
    app.command()(memories)
    app.command()(forget)
