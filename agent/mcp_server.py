"""congming as an MCP server (`congming mcp`), built with the official ``mcp`` Python SDK.

Agent tools (desktop assistants, IDE agents, LangGraph agents) use congming's memory and
documents through six tools (agent/mcp_tools.py). Two transports:

- stdio (``run_stdio``): the client starts ``congming mcp --user NAME``; every call acts for NAME.
- streamable HTTP (``create_http_app``, served at ``/mcp``): each request's bearer key maps to
  its user exactly as in the HTTP API (``server.api_keys``, agent/server_http.py's KeyRing);
  a multi-user key names the end user with ``?user=NAME`` in the URL. With no keys the server
  is for this machine only and acts for ``--user``.

One Agent per server process: opened (and its model loaded) before the first call, closed
(finishing the memory write in hand) when the server stops.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.to_thread

from agent.settings import DEFAULT_USER_ID, Settings
from graph.errors import require

log = logging.getLogger("congming.mcp")

MCP_PATH = "/mcp"
DEFAULT_MCP_PORT = 8765
INSTRUCTIONS = (
    "congming is the user's local memory and document library. `remember` stores a fact about the "
    "user, `recall` finds what is remembered (with ids and when it was told), `forget` deletes one "
    "memory by id. `search_documents` finds cited passages in the user's documents; `ask` answers a "
    "question from them and from memory, checked and cited, or declines. `ingest` adds documents."
)


def build_mcp(agent: Any, *, user: str = DEFAULT_USER_ID, read_paths: bool = True,
              host: str = "127.0.0.1", port: int = DEFAULT_MCP_PORT) -> Any:
    """The FastMCP server with congming's tools over ``agent`` (opened by the caller)."""
    require("mcp", "mcp", "The MCP server")
    from agent.mcp_tools import CongmingMCP, ToolHost, register_tools

    mcp = CongmingMCP("congming", instructions=INSTRUCTIONS, host=host, port=port,
                      streamable_http_path=MCP_PATH, log_level="WARNING")
    register_tools(mcp, ToolHost(agent, user=user, read_paths=read_paths))
    return mcp


async def _open(agent: Any) -> None:
    await anyio.to_thread.run_sync(agent.open)
    await anyio.to_thread.run_sync(agent.turn_runner)  # load the model now, not on the first `ask`


@asynccontextmanager
async def agent_open(agent: Any, *, owned: bool = True) -> AsyncIterator[None]:
    """The agent opened for the server's life; closed after when ``owned``."""
    try:
        await _open(agent)
        yield
    finally:
        if owned:
            await anyio.to_thread.run_sync(agent.close)  # finishes the memory write in hand first


# ---- stdio ------------------------------------------------------------------------------------

def run_stdio(settings: Settings, *, user: str = DEFAULT_USER_ID) -> None:
    """Serve MCP over stdin/stdout for ``user`` until the client closes the pipe."""
    from agent.core import Agent

    agent = Agent(settings)
    mcp = build_mcp(agent, user=user)

    async def main() -> None:
        async with agent_open(agent):
            await mcp.run_stdio_async()

    anyio.run(main)


# ---- streamable HTTP ---------------------------------------------------------------------------

class BearerKeys:
    """ASGI middleware: every HTTP request must carry a bearer key from ``server.api_keys``
    (checked by the HTTP API's own KeyRing); the user it acts for goes into the request's
    state for the tools. Refusals are JSON errors in the HTTP API's shape."""

    def __init__(self, app: Any, *, keys: Any, open_user: str) -> None:
        self.app = app
        self.keys = keys
        self.open_user = open_user

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from starlette.requests import Request

        from agent.mcp_tools import USER_STATE
        from agent.server_http import ApiError

        request = Request(scope)
        try:
            if self.keys.open:  # no keys: this machine only, as --user (sub-users still kept apart)
                from agent.server_http import Caller

                caller = Caller(self.open_user, multi_user=True)
            else:
                caller = self.keys.caller(request.headers.get("authorization"))
            user = caller.user_for(request.query_params.get("user"))
        except ApiError as exc:
            await exc.response()(scope, receive, send)
            return
        scope.setdefault("state", {})[USER_STATE] = user
        await self.app(scope, receive, send)


def create_http_app(settings: Settings, agent: Any | None = None, *, user: str = DEFAULT_USER_ID) -> Any:
    """The streamable-HTTP MCP app (Starlette), served at ``/mcp``. ``agent`` given: used as is
    (opened here, not closed); else built from settings, opened and closed with the app."""
    require("fastapi", "server", "The MCP server over HTTP (it checks keys as the HTTP API does)")
    from agent.server_http import KeyRing

    server = settings.server
    keys = KeyRing.for_serving(server, "MCP ")
    owned = agent is None
    if agent is None:
        from agent.core import Agent

        agent = Agent(settings)
    # files on this machine are read only for its own user (no keys: loopback, one user)
    mcp = build_mcp(agent, user=user, read_paths=keys.open, host=server.host, port=server.port)
    app = mcp.streamable_http_app()
    sessions = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(the_app: Any) -> AsyncIterator[None]:
        async with agent_open(agent, owned=owned), sessions(the_app):
            yield

    app.router.lifespan_context = lifespan
    app.add_middleware(BearerKeys, keys=keys, open_user=user)
    return app


def run_http(settings: Settings, *, user: str = DEFAULT_USER_ID, log_level: str = "info",
             announce: Callable[[str], None] = log.warning) -> None:
    """Serve MCP over streamable HTTP on ``settings.server.host``/``port`` until stopped;
    ``announce`` is told where, and who it acts for, once the settings are accepted."""
    uvicorn = require("uvicorn", "server", "The MCP server over HTTP")
    app = create_http_app(settings, user=user)
    server = settings.server
    auth = (f"{len(server.api_keys)} API key(s)" if server.api_keys
            else f"no API keys: this machine only, acting as user {user!r}")
    announce(f"congming MCP on http://{server.host}:{server.port}{MCP_PATH} ({auth}). Loading the model…")
    uvicorn.run(app, host=server.host, port=server.port, log_level=log_level, workers=1,
                timeout_keep_alive=server.keep_alive_s)
