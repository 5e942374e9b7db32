"""What every `congming` command shares: the error console, the --config option, settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from agent.errors import ConfigError, CongmingError
from agent.settings import Settings

err = Console(stderr=True, soft_wrap=True)

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="TOML settings file (default: $CONGMING_CONFIG or ./congming.toml)."),
]

UserOption = Annotated[str, typer.Option("--user", "-u", help="Whose knowledge and memory to use.")]


def load_settings(config: Path | None, **llm_overrides) -> Settings:
    """Settings for a command; bad settings end it with exit code 2 and the reason."""
    try:
        settings = Settings.load(config)
        changes = {k: v for k, v in llm_overrides.items() if v is not None}
        if changes:
            settings = settings.model_copy(
                update={"llm": settings.llm.model_copy(update=changes)}
            )
        return settings
    except CongmingError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc


@contextmanager
def exit_on_error(*usage: type[Exception]) -> Iterator[None]:
    """End the command on a CongmingError, printing it: exit code 2 for bad settings (and the
    ``usage`` errors given), 1 for the rest."""
    try:
        yield
    except (ConfigError, *usage) as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    except CongmingError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from exc
