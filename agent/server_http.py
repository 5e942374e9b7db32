"""What every HTTP endpoint shares: OpenAI-shaped JSON errors and bearer-key authentication.

Errors always have the body ``{"error": {"message", "type", "param", "code"}}`` that
OpenAI clients parse, with a message that says what to do next.
"""

from __future__ import annotations

import hmac
import logging
import re
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agent.errors import BackendUnavailableError, ConfigError, CongmingError, ContextOverflowError, InputError
from agent.server_models import NAME_RULE, SESSION_PATTERN
from agent.server_settings import SUB_USER_SEPARATOR, ServerSettings
from agent.settings import DEFAULT_USER_ID

log = logging.getLogger("congming.server")

LIMIT_SCOPE_KEY = "congming.max_body_bytes"

_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
          404: "not_found_error", 405: "invalid_request_error", 413: "invalid_request_error",
          503: "service_unavailable_error"}


class ApiError(Exception):
    def __init__(self, status: int, message: str, *, code: str | None = None,
                 param: str | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.param = param
        self.headers = dict(headers or {})

    def body(self) -> dict:
        kind = _TYPES.get(self.status, "server_error" if self.status >= 500 else "invalid_request_error")
        return {"error": {"message": self.message, "type": kind, "param": self.param, "code": self.code}}

    def response(self) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer", **self.headers} if self.status == 401 else self.headers
        return JSONResponse(self.body(), status_code=self.status, headers=headers or None)


def api_error(exc: CongmingError) -> ApiError:
    """The HTTP form of an error the agent raised on purpose."""
    if isinstance(exc, ContextOverflowError):
        return ApiError(400, str(exc), code="context_length_exceeded")
    if isinstance(exc, InputError):
        return ApiError(400, str(exc), code="invalid_input")
    if isinstance(exc, BackendUnavailableError):
        return ApiError(503, str(exc), code="backend_unavailable")
    return ApiError(500, str(exc), code=type(exc).__name__)


def _where(text: str, position: int) -> str:
    """Line and column (1-based) of a character offset, as Python's json module reports them."""
    line = text.count("\n", 0, position) + 1
    column = position - text.rfind("\n", 0, position)
    return f"line {line}, column {column} (character {position})"


def _body_problem(exc: RequestValidationError) -> str | None:
    """The message for a body that is not a JSON object at all (or None: a field is wrong)."""
    errors = exc.errors()
    first = errors[0] if errors else {}
    loc = tuple(first.get("loc", ()))
    if first.get("type") == "json_invalid":
        what = str((first.get("ctx") or {}).get("error") or "it could not be parsed")
        body = exc.body if isinstance(exc.body, str) else ""
        where = _where(body, loc[1]) if len(loc) > 1 and isinstance(loc[1], int) else "the start"
        what = what[:1].lower() + what[1:]
        return (f"The request body is not valid JSON: {what} at {where}. Send a JSON object with "
                "Content-Type: application/json; the API schema is at /docs.")
    if loc == ("body",) and first.get("type") == "missing":
        return ("The request body is empty: send a JSON object with Content-Type: application/json. "
                "The API schema is at /docs.")
    if loc == ("body",) and first.get("type") in ("model_attributes_type", "dict_type"):
        if isinstance(first.get("input"), bytes | bytearray):
            return ("The request body was not read as JSON: send it with Content-Type: application/json. "
                    "The API schema is at /docs.")
        kind = type(first.get("input")).__name__
        kind = {"list": "an array", "str": "a string", "int": "a number", "float": "a number",
                "bool": "a boolean", "NoneType": "null"}.get(kind, kind)
        return f"The request body must be a JSON object, not {kind}. The API schema is at /docs."
    return None


def _validation_message(exc: RequestValidationError) -> tuple[str, str | None]:
    problem = _body_problem(exc)
    if problem is not None:
        return problem, None
    problems, first = [], None
    for error in exc.errors()[:5]:
        loc = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
        first = first or loc or None
        problems.append(f"{loc or 'body'}: {error.get('msg', 'invalid')}")
    return "Invalid request: " + "; ".join(problems) + ". See the API schema at /docs.", first


_HTTP_MESSAGES = {
    404: "No such endpoint: {method} {path}. The API is described at /docs (OpenAPI: /openapi.json).",
    405: "{method} is not allowed on {path}; see /docs for the methods each endpoint takes.",
    413: "The request body is larger than this endpoint's limit of {limit} bytes; send less "
         "(ingest long text in several documents) or raise server.max_request_bytes "
         "(knowledge.max_file_mb for file uploads).",
}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        message, param = _validation_message(exc)
        return ApiError(400, message, code="invalid_request", param=param).response()

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        template = _HTTP_MESSAGES.get(exc.status_code)
        limit = request.scope.get(LIMIT_SCOPE_KEY, "?")
        message = (template.format(method=request.method, path=request.url.path, limit=limit)
                   if template else str(exc.detail))
        code = {404: "not_found", 405: "method_not_allowed", 413: "request_too_large"}.get(exc.status_code)
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = _allowed_methods(request) or headers.get("Allow", "")
        return ApiError(exc.status_code, message, code=code, headers=headers).response()

    @app.exception_handler(CongmingError)
    async def _congming(request: Request, exc: CongmingError) -> JSONResponse:
        return api_error(exc).response()

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("request %s %s failed", request.method, request.url.path)
        return ApiError(500, f"The server failed unexpectedly ({type(exc).__name__}); see the server log.",
                        code="internal_error").response()


def _allowed_methods(request: Request) -> str:
    """Every method the API documents at this path (FastAPI makes one route per method, and the
    405 it raises names only the first route's)."""
    paths = request.app.openapi().get("paths", {})
    path = request.url.path
    if path in paths:  # a concrete path wins over templates, as in OpenAPI (/v1/documents/upload)
        return ", ".join(sorted(method.upper() for method in paths[path]))
    methods: set[str] = set()
    for template, operations in paths.items():
        if re.fullmatch(re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template)), path):
            methods.update(method.upper() for method in operations)
    return ", ".join(sorted(methods))


def valid_name(name: str) -> bool:
    """A user or session name the API accepts (SESSION_PATTERN; no lone surrogates either)."""
    return (len(name) <= 128 and re.fullmatch(SESSION_PATTERN, name) is not None
            and not any("\ud800" <= char <= "\udfff" for char in name))


@dataclass(frozen=True, slots=True)
class Caller:
    """Who sent a request: the user its API key acts as, and whether it may name sub-users."""

    user: str
    multi_user: bool

    def user_for(self, requested: str | None) -> str:
        """The user a request reads and writes as; a key never reaches another key's user."""
        if requested is None or requested == "" or requested == self.user:
            return self.user
        if not self.multi_user:
            raise ApiError(403, f"This API key acts only for user {self.user!r}, not {requested!r}. Leave "
                           "out `user`, or give the key multi_user = true in server.api_keys to let it "
                           "serve several users.", code="user_not_allowed", param="user")
        if not valid_name(requested):
            raise ApiError(400, f"`user` must be {NAME_RULE}.", code="invalid_user", param="user")
        return f"{self.user}{SUB_USER_SEPARATOR}{requested}"


class KeyRing:
    """The configured API keys. None configured: no auth (loopback only), acting as the local user,
    whose requests may still name sub-users to keep the memories of several people apart."""

    def __init__(self, server: ServerSettings) -> None:
        self._keys = [(entry.key.get_secret_value().encode(), Caller(entry.user, entry.multi_user))
                      for entry in server.api_keys]

    @classmethod
    def for_serving(cls, server: ServerSettings, what: str = "") -> KeyRing:
        """The keys of a server about to listen on ``server.host`` (``what``: "MCP " or ""); with
        none it refuses any address beyond this machine."""
        keys = cls(server)
        if keys.open and not server.is_loopback:
            raise ConfigError(f"Refusing to serve {what}on {server.host} without API keys: anyone who can "
                              "reach it could read every memory. Set server.api_keys (e.g. "
                              "CONGMING_SERVER__API_KEYS='{\"YOUR-KEY\": \"alice\"}') or listen on "
                              "127.0.0.1.")
        return keys

    @property
    def open(self) -> bool:
        return not self._keys

    def caller(self, authorization: str | None) -> Caller:
        if self.open:
            return Caller(DEFAULT_USER_ID, multi_user=True)
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "Missing API key: send the header 'Authorization: Bearer YOUR_KEY' "
                           "(the OpenAI client's api_key). Keys are set in server.api_keys.",
                           code="missing_api_key")
        presented = token.strip().encode()
        found = None
        for secret, caller in self._keys:  # compare with every key so timing tells nothing
            if hmac.compare_digest(secret, presented):
                found = caller
        if found is None:
            raise ApiError(401, "Invalid API key; check the key against server.api_keys.",
                           code="invalid_api_key")
        return found


_bearer = HTTPBearer(auto_error=False, description="An API key from server.api_keys.")


def current_caller(request: Request, _: Annotated[Any, Depends(_bearer)]) -> Caller:
    """The request's caller (a FastAPI dependency; the bearer scheme documents auth in OpenAPI)."""
    return request.app.state.keys.caller(request.headers.get("authorization"))


def refuse_nul_in_query(request: Request) -> None:
    """No query parameter may hold a NUL character: none of this API's names, ids or file names
    can, and file systems refuse them (an app-wide FastAPI dependency)."""
    for name, value in request.query_params.multi_items():
        if "\x00" in name or "\x00" in value:
            raise ApiError(400, f"The query parameter {name.replace(chr(0), '%00')!r} holds a NUL character "
                           "(%00); remove it.", code="invalid_parameter", param=name.replace("\x00", ""))


def current_agent(request: Request) -> Any:
    return request.app.state.agent


CallerDep = Annotated[Caller, Depends(current_caller)]
AgentDep = Annotated[Any, Depends(current_agent)]


class _TooLarge(StarletteHTTPException):
    def __init__(self) -> None:
        super().__init__(413, "request body too large")


class BodyLimit:
    """Refuses a request body over its path's limit with a 413 JSON error: at once when its
    Content-Length says so, else as soon as the bytes received pass the limit."""

    def __init__(self, app: ASGIApp, *, default: int, per_path: dict[str, int]) -> None:
        self.app = app
        self.default = default
        self.per_path = per_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.per_path.get(scope["path"], self.default)
        scope[LIMIT_SCOPE_KEY] = limit
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _too_large(limit).response()(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge()
            return message

        await self.app(scope, limited, send)


def _too_large(limit: int) -> ApiError:
    message = _HTTP_MESSAGES[413].format(method="", path="", limit=limit)
    return ApiError(413, message, code="request_too_large")
