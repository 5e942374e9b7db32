"""The OpenAI-compatible HTTP API (`congming serve`): ``create_app(settings, agent=None)``.

The server only translates: HTTP requests into Agent calls, agent events into OpenAI
chat completions (agent/server_chat.py). The agent is opened (and its model loaded) in
the app's lifespan; blocking agent calls run in worker threads. See README for usage.
"""

# No `from __future__ import annotations`: FastAPI must see the route annotations, which name
# types imported inside create_app (fastapi is an optional extra).
import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from agent.settings import Settings
from graph.errors import require


def create_app(settings: Settings, agent: Any | None = None) -> Any:
    """The FastAPI app. ``agent`` given: used as is (opened, not closed); else built from settings."""
    require("fastapi", "server", "The HTTP API")
    from fastapi import Depends, FastAPI, Header
    from fastapi.middleware.cors import CORSMiddleware

    from agent import __version__
    from agent.server_chat import SESSION_HEADER, STREAMED, chat_turn, complete, stream
    from agent.server_http import (
        AgentDep,
        ApiError,
        BodyLimit,
        CallerDep,
        KeyRing,
        install_error_handlers,
        refuse_nul_in_query,
    )
    from agent.server_knowledge import build_knowledge_router
    from agent.server_models import (
        SESSION_PATTERN,
        ChatCompletion,
        ChatCompletionRequest,
        ErrorResponse,
        ModelCard,
        ModelList,
    )

    SessionHeader = Annotated[str | None, Header(
        alias=SESSION_HEADER, max_length=128, json_schema_extra={"pattern": SESSION_PATTERN},
        description="Names the conversation whose working memory this turn uses (default: derived "
        "from the first user message).")]
    server = settings.server
    keys = KeyRing.for_serving(server)
    started = int(time.time())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from agent.core import Agent

        the_agent = agent if agent is not None else Agent(settings)
        await asyncio.to_thread(the_agent.open)
        await asyncio.to_thread(the_agent.turn_runner)  # load the model now, not on the first request
        app.state.agent = the_agent
        try:
            yield
        finally:
            if agent is None:
                await asyncio.to_thread(the_agent.close)  # finishes the memory write in hand first

    errors = {status: {"model": ErrorResponse} for status in (400, 401, 403, 404, 405, 413, 415, 500, 503)}
    app = FastAPI(title="congming", version=__version__, lifespan=lifespan, responses=errors,
                  dependencies=[Depends(refuse_nul_in_query)],
                  description="A local-first chat agent that remembers and does not make things up. "
                  "OpenAI-compatible chat completions, plus documents and memories per user.")
    app.state.keys = keys
    _refine_openapi(app, server.model_name)
    install_error_handlers(app)
    app.add_middleware(BodyLimit, default=server.max_request_bytes,
                       per_path={"/v1/documents/upload": settings.knowledge.max_file_bytes})
    if server.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=server.cors_origins, allow_methods=["*"],
                           allow_headers=["Authorization", "Content-Type", SESSION_HEADER])
    @app.get("/health", tags=["meta"], summary="Liveness (no auth)")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/v1/models", response_model=ModelList, tags=["openai"])
    async def models(_: CallerDep) -> ModelList:
        return ModelList(data=[ModelCard(id=server.model_name, created=started)])

    @app.get("/v1/models/{model}", response_model=ModelCard, tags=["openai"])
    async def model(model: str, _: CallerDep) -> ModelCard:
        if model != server.model_name:
            raise ApiError(404, f"The model {model!r} does not exist here; this server serves "
                           f"{server.model_name!r}.", code="model_not_found", param="model")
        return ModelCard(id=server.model_name, created=started)

    @app.post("/v1/chat/completions", response_model=ChatCompletion, tags=["openai"], responses=STREAMED,
              summary="Chat (OpenAI-compatible; stream=true for server-sent events)")
    async def chat_completions(body: ChatCompletionRequest, who: CallerDep, the_agent: AgentDep,
                               session: SessionHeader = None) -> Any:
        turn = chat_turn(body, who, session, server.model_name, settings.llm.max_tokens)
        if body.stream:
            return await stream(the_agent, turn)
        return await complete(the_agent, turn)

    app.include_router(build_knowledge_router(settings.knowledge.max_file_bytes))
    return app


def _refine_openapi(app: Any, model_name: str) -> None:
    """What FastAPI cannot declare: no 422 responses (this API answers an invalid request with 400
    and the OpenAI error body), and the one model this server serves."""
    default = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = default()
            for operation in (op for path in schema.get("paths", {}).values() for op in path.values()):
                operation.get("responses", {}).pop("422", None)
            components = schema.get("components", {}).get("schemas", {})
            for name in ("HTTPValidationError", "ValidationError"):
                components.pop(name, None)
            components["ChatCompletionRequest"]["properties"]["model"]["enum"] = [model_name]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi
