"""`congming serve`: the OpenAI-compatible HTTP API under uvicorn. Registered on the main
app by ``register_serve_command``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from agent.cli_common import ConfigOption, err, exit_on_error, load_settings
from graph.errors import require


def serve(
    config: ConfigOption = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on (default server.host, "
                                                   "127.0.0.1); others need server.api_keys.")] = None,
    port: Annotated[int | None, typer.Option(min=0, max=65535,
                                             help="Port (default server.port, 8080).")] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level: debug | info | warning | error.")
                         ] = "info",
) -> None:
    """Serve the OpenAI-compatible HTTP API (chat completions, models, documents, memories).

    Any OpenAI client works with base_url http://HOST:PORT/v1; the API is described at /docs.
    """
    settings = load_settings(config)
    changes = {name: value for name, value in (("host", host), ("port", port)) if value is not None}
    if changes:
        settings = settings.model_copy(update={"server": settings.server.model_copy(update=changes)})
    server = settings.server
    with exit_on_error():
        uvicorn = require("uvicorn", "server", "congming serve")
        from agent.server import create_app

        app = create_app(settings)
    auth = (f"{len(server.api_keys)} API key(s)" if server.api_keys
            else "no API keys: open to this machine only, acting as the local user")
    err.print(f"congming API on http://{escape(server.host)}:{server.port}/v1 ({auth}); "
              f"docs at /docs. Loading the model…")
    # one process: the agent keeps each session's working memory in memory
    uvicorn.run(app, host=server.host, port=server.port, log_level=log_level, workers=1,
                timeout_keep_alive=server.keep_alive_s)


def register_serve_command(app: typer.Typer) -> None:
    app.command()(serve)
