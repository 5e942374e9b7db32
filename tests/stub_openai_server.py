"""A minimal OpenAI-compatible chat server for tests, run in a thread on 127.0.0.1.

It serves ``GET /v1/models`` and ``POST /v1/chat/completions`` (streamed as server-sent
events or as one JSON body), replies deterministically (by default it echoes the last
user message), honours ``max_tokens`` (its tokens are :func:`agent.llm.fake.fake_tokens`),
``stop`` and a ``json_schema`` response format, checks a bearer key when given one, and
records every request it got.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from agent.llm.fake import fake_tokens

Reply = Callable[[dict[str, Any]], str]


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None


def echo_reply(body: dict[str, Any]) -> str:
    last_user = next(
        (m.get("content", "") for m in reversed(body["messages"]) if m.get("role") == "user"), ""
    )
    return f"Echo: {last_user}"


def example_of(schema: dict[str, Any]) -> Any:
    """A small JSON value that satisfies a simple schema (objects, enums, scalars, arrays)."""
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        return {k: example_of(v) for k, v in schema.get("properties", {}).items()}
    if kind == "array":
        return [example_of(schema.get("items", {}))] * schema.get("minItems", 0)
    return {"boolean": True, "integer": 0, "number": 0, "null": None}.get(kind, "stub")


def reply_tokens(body: dict[str, Any], reply: Reply) -> tuple[list[str], str]:
    """The reply's tokens after max_tokens and stop are applied, and the finish reason."""
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        text = json.dumps(example_of(response_format["json_schema"]["schema"]))
    else:
        text = reply(body)
    tokens = fake_tokens(text)
    limit = body.get("max_tokens") or body.get("max_completion_tokens")
    finish = "stop"
    if limit is not None and len(tokens) > limit:
        tokens, finish = tokens[:limit], "length"
    text = "".join(tokens)
    stops = body.get("stop") or []
    stops = [stops] if isinstance(stops, str) else stops
    cuts = [i for i in (text.find(s) for s in stops if s) if i >= 0]
    if cuts:
        text, finish = text[: min(cuts)], "stop"
        tokens = fake_tokens(text)
    return tokens, finish


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hung up (timeout tests) is expected, not worth a traceback


class StubOpenAIServer:
    def __init__(self, reply: Reply = echo_reply, *, models: tuple[str, ...] = ("stub-model",),
                 api_key: str | None = None, delay_s: float = 0.0) -> None:
        self.reply = reply
        self.models = list(models)
        self.api_key = api_key
        self.delay_s = delay_s
        self.requests: list[RecordedRequest] = []
        self.fail_next: tuple[int, str] | None = None
        self.models_body: bytes | None = None  # replaces the /models answer when set
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> StubOpenAIServer:
        self._server = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
        self._server = None

    def chat_requests(self) -> list[dict[str, Any]]:
        return [r.body for r in self.requests if r.path.endswith("/chat/completions")]


def _handler_for(stub: StubOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._record(None)
            if not self._authorized():
                return
            if self.path.rstrip("/") != "/v1/models":
                self._error(404, f"Unknown path {self.path}")
                return
            if stub.models_body is not None:
                self._send(200, stub.models_body, "text/html")
                return
            data = [{"id": m, "object": "model", "owned_by": "stub"} for m in stub.models]
            self._json(200, {"object": "list", "data": data})

        def do_POST(self) -> None:
            try:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"null")
            except ValueError:
                self._record(None)
                self._error(400, "The request body is not JSON.")
                return
            self._record(body)
            if not self._authorized():
                return
            if self.path.rstrip("/") != "/v1/chat/completions":
                self._error(404, f"Unknown path {self.path}")
                return
            if stub.fail_next is not None:
                (status, message), stub.fail_next = stub.fail_next, None
                self._error(status, message)
                return
            if not isinstance(body, dict) or not body.get("messages"):
                self._error(400, "'messages' is required.")
                return
            if body.get("model") not in stub.models:
                self._error(404, f"The model '{body.get('model')}' does not exist.")
                return
            time.sleep(stub.delay_s)
            tokens, finish = reply_tokens(body, stub.reply)
            if body.get("stream"):
                self._stream(body, tokens, finish)
            else:
                self._complete(body, tokens, finish)

        def _record(self, body: Any) -> None:
            stub.requests.append(RecordedRequest(self.command, self.path, dict(self.headers), body))

        def _authorized(self) -> bool:
            if stub.api_key is None or self.headers.get("Authorization") == f"Bearer {stub.api_key}":
                return True
            self._error(401, "Incorrect API key provided.", code="invalid_api_key")
            return False

        def _complete(self, body: dict[str, Any], tokens: list[str], finish: str) -> None:
            message = {"role": "assistant", "content": "".join(tokens)}
            self._json(200, {
                "id": "chatcmpl-stub", "object": "chat.completion", "created": int(time.time()),
                "model": body["model"],
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                "usage": {"prompt_tokens": 0, "completion_tokens": len(tokens),
                          "total_tokens": len(tokens)},
            })

        def _stream(self, body: dict[str, Any], tokens: list[str], finish: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            deltas = [{"role": "assistant", "content": ""}] + [{"content": t} for t in tokens]
            for i, delta in enumerate([*deltas, {}]):
                last = i == len(deltas)
                chunk = {
                    "id": "chatcmpl-stub", "object": "chat.completion.chunk",
                    "created": int(time.time()), "model": body["model"],
                    "choices": [{"index": 0, "delta": delta,
                                 "finish_reason": finish if last else None}],
                }
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

        def _json(self, status: int, payload: Any) -> None:
            self._send(status, json.dumps(payload).encode(), "application/json")

        def _send(self, status: int, data: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, message: str, code: str | None = None) -> None:
            error = {"message": message, "type": "invalid_request_error", "code": code}
            self._json(status, {"error": error})

    return Handler
