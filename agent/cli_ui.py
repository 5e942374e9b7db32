"""`congming ui`: the Chainlit chat UI. Registered on the main app by ``register_ui_commands``."""

from __future__ import annotations

import subprocess
from typing import Annotated

import typer
from rich.markup import escape

from agent.cli_common import ConfigOption, err, exit_on_error, load_settings


def ui(
    config: ConfigOption = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on (default ui.host).")] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="Port (default ui.port, 8000).")] = None,
) -> None:
    """Start the chat UI in the browser: streamed answers with sources, uploads, memory, graph."""
    from ui.launch import check_exposure, prepare, ui_command, ui_environment

    settings = load_settings(config)
    changes = {key: value for key, value in (("host", host), ("port", port)) if value is not None}
    if changes:
        settings = settings.model_copy(update={"ui": settings.ui.model_copy(update=changes)})
    with exit_on_error():
        check_exposure(settings)
        paths = prepare(settings)
        command, env = ui_command(paths, settings), ui_environment(paths, settings, config)
    login = "password login" if settings.ui.login else "no login (local user)"
    err.print(f"congming UI on http://{settings.ui.host}:{settings.ui.port} ({login}); "
              f"data in {escape(str(settings.data_dir))}. Ctrl-C stops it.")
    try:
        code = subprocess.call(command, env=env)
    except KeyboardInterrupt:
        code = 0
    if code not in (0, -2, 130):
        raise typer.Exit(code)


def register_ui_commands(app: typer.Typer) -> None:
    app.command()(ui)
