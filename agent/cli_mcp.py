"""`congming mcp`: congming's memory and documents as MCP tools, over stdio or streamable HTTP
(agent/mcp_server.py). Registered on the main app by ``register_mcp_command``."""

from __future__ import annotations

from contextlib import suppress
from typing import Annotated

import typer
from rich.markup import escape

from agent.cli_common import ConfigOption, UserOption, err, exit_on_error, load_settings
from agent.settings import DEFAULT_USER_ID


def mcp(
    http: Annotated[bool, typer.Option("--http", help="Serve streamable HTTP at /mcp instead of stdio.")
                    ] = False,
    host: Annotated[str | None, typer.Option(help="With --http: address to listen on (default server.host, "
                                                   "127.0.0.1); others need server.api_keys.")] = None,
    port: Annotated[int, typer.Option(min=0, max=65535, help="With --http: port.")] = 8765,
    user: UserOption = DEFAULT_USER_ID,
    log_level: Annotated[str, typer.Option(help="With --http: uvicorn log level.")] = "warning",
    config: ConfigOption = None,
) -> None:
    """Serve the MCP tools remember, recall, forget, search_documents, ask and ingest.

    stdio (the default) acts for --user; with --http each bearer key in server.api_keys acts for
    its own user (no keys: this machine only, as --user).
    """
    if not user.strip():
        err.print("[red]error:[/red] --user must not be empty.")
        raise typer.Exit(2)
    settings = load_settings(config)
    with exit_on_error(), suppress(KeyboardInterrupt):
        from agent.mcp_server import run_http, run_stdio

        if not http:
            run_stdio(settings, user=user)
            return
        changes = {"port": port, **({"host": host} if host is not None else {})}
        settings = settings.model_copy(update={"server": settings.server.model_copy(update=changes)})
        run_http(settings, user=user, log_level=log_level, announce=lambda line: err.print(escape(line)))


def register_mcp_command(app: typer.Typer) -> None:
    app.command()(mcp)
