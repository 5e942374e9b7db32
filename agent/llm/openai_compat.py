"""Any OpenAI-compatible chat server (Ollama, vLLM, llama.cpp server, OpenAI) over HTTP.

Replies are streamed from ``POST {base_url}/chat/completions`` as server-sent events.
The OpenAI API has no tokenizer endpoint, so prompt sizes are estimated conservatively
(:mod:`agent.llm.estimate`) against ``max_context``, which should match the server's
context window (CONGMING_LLM__N_CTX).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

import httpx

from agent.errors import BackendUnavailableError, ConfigError, ModelNotFoundError
from agent.llm.base import BaseLLM, Capabilities, ChatMessage, GenerationOptions
from agent.llm.estimate import estimate_message_tokens
from agent.settings import LLMSettings

# The OpenAI API accepts at most four stop sequences; BaseLLM cuts at any further ones.
MAX_SERVER_STOPS = 4


class OpenAICompatibleLLM(BaseLLM):
    name = "openai"

    def __init__(self, base_url: str = "http://127.0.0.1:11434/v1", model: str | None = None, *,
                 api_key: str | None = None, timeout_s: float = 120.0, max_context: int = 4096,
                 json_schema: bool = True, seed: int | None = None) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key = api_key
        self.timeout_s = timeout_s
        self.seed = seed
        self._capabilities = Capabilities(max_context=max_context, json_schema=json_schema)
        self._client: httpx.Client | None = None
        self.served_models: list[str] = []

    @classmethod
    def from_settings(cls, settings: LLMSettings) -> OpenAICompatibleLLM:
        key = settings.api_key.get_secret_value() if settings.api_key else None
        return cls(settings.base_url, settings.model, api_key=key, timeout_s=settings.timeout_s,
                   max_context=settings.n_ctx, seed=settings.seed)

    @property
    def capabilities(self) -> Capabilities:
        return self._capabilities

    def _open(self) -> None:
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        client = httpx.Client(headers=headers, timeout=self.timeout_s)
        try:
            response = self._send(client, "GET", "/models")
            self._raise_for_status(response)
            self.served_models = self._model_ids(response)
            if not self.model and not self.served_models:
                raise ConfigError(
                    f"The server at {self.base_url} lists no models; "
                    "set CONGMING_LLM__MODEL to the model it should run."
                )
        except BaseException:
            client.close()
            raise
        self.model = self.model or self.served_models[0]
        self._client = client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        self._client = None
        super().close()

    def _count_tokens(self, messages: list[ChatMessage]) -> int:
        return estimate_message_tokens(m.content for m in messages)

    def _generate(self, messages: list[ChatMessage], options: GenerationOptions) -> Iterator[str]:
        request = self._client.build_request(
            "POST", self._url("/chat/completions"), json=self.payload(messages, options)
        )
        try:
            response = self._client.send(request, stream=True)
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from exc
        try:
            if response.is_error:
                response.read()
                self._raise_for_status(response)
            yield from _delta_texts(_sse_data(response.iter_lines()), self.base_url)
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from exc
        finally:
            response.close()

    def payload(self, messages: list[ChatMessage], options: GenerationOptions) -> dict[str, Any]:
        """The JSON body of the chat-completions request for these messages and options."""
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [m.as_dict() for m in messages],
            "stream": True,
            "max_tokens": options.max_tokens,
            "temperature": options.temperature,
        }
        if options.stop:
            body["stop"] = list(options.stop[:MAX_SERVER_STOPS])
        seed = options.seed if options.seed is not None else self.seed
        if seed is not None:
            body["seed"] = seed
        if options.json_schema is not None:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {
                    "name": _schema_name(options.json_schema),
                    "schema": options.json_schema,
                    "strict": True,
                },
            }
        return body

    def _model_ids(self, response: httpx.Response) -> list[str]:
        try:
            listed = response.json().get("data") or []
            return [str(m["id"]) for m in listed if "id" in m]
        except (ValueError, AttributeError, TypeError) as exc:
            raise BackendUnavailableError(
                f"{self.base_url}/models did not answer with an OpenAI model list "
                f"({response.text[:200]!r}). Is CONGMING_LLM__BASE_URL an OpenAI-compatible API?"
            ) from exc

    def _url(self, path: str) -> str:
        return self.base_url + path

    def _send(self, client: httpx.Client, method: str, path: str) -> httpx.Response:
        try:
            return client.request(method, self._url(path))
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from exc

    def _unreachable(self, exc: Exception) -> BackendUnavailableError:
        kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "failed"
        return BackendUnavailableError(
            f"The connection to the OpenAI-compatible server at {self.base_url} {kind} "
            f"({type(exc).__name__}: {exc}). Is the server running (e.g. `ollama serve`)? "
            "Set CONGMING_LLM__BASE_URL to its URL, or raise CONGMING_LLM__TIMEOUT_S."
        )

    def _raise_for_status(self, response: httpx.Response) -> None:
        if not response.is_error:
            return
        status, message = response.status_code, _server_message(response)
        where = f"The server at {self.base_url} answered {status} for {response.request.url.path}"
        if status in (401, 403):
            raise ConfigError(
                f"{where}: the API key was rejected ({message}). "
                "Set CONGMING_LLM__API_KEY to a key this server accepts."
            )
        if status == 404 and response.request.method == "POST":
            served = ", ".join(self.served_models) or "none listed"
            raise ModelNotFoundError(
                f"{where}: {message}. It serves: {served}. "
                f"Set CONGMING_LLM__MODEL to one of them (now {self.model!r})."
            )
        if status == 404:
            raise BackendUnavailableError(
                f"{where}: {message}. Is this an OpenAI-compatible API? "
                "CONGMING_LLM__BASE_URL usually ends in /v1."
            )
        raise BackendUnavailableError(f"{where}: {message}.")


def _server_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:500] or response.reason_phrase
    error = body.get("error", body) if isinstance(body, dict) else body
    if isinstance(error, dict):
        return str(error.get("message") or error)
    return str(error)


def _sse_data(lines: Iterable[str]) -> Iterator[str]:
    """The data of each server-sent event; multi-line data is joined with newlines."""
    data: list[str] = []
    for line in lines:
        if not line:
            if data:
                yield "\n".join(data)
            data = []
        elif line.startswith("data:"):
            value = line[5:]
            data.append(value[1:] if value.startswith(" ") else value)
    if data:
        yield "\n".join(data)


def _delta_texts(events: Iterable[str], base_url: str) -> Iterator[str]:
    for data in events:
        if data.strip() == "[DONE]":
            return
        try:
            event = json.loads(data)
        except ValueError as exc:
            raise BackendUnavailableError(
                f"The server at {base_url} sent a stream event that is not JSON: {data[:200]!r}. "
                "Is it an OpenAI-compatible server?"
            ) from exc
        if "error" in event:
            error = event["error"]
            message = error.get("message", error) if isinstance(error, dict) else error
            raise BackendUnavailableError(f"The server at {base_url} failed mid-reply: {message}")
        for choice in event.get("choices") or ():
            text = (choice.get("delta") or {}).get("content")
            if text:
                yield text


def _schema_name(schema: dict[str, Any]) -> str:
    name = re.sub(r"[^a-zA-Z0-9_-]+", "_", str(schema.get("title") or "response")).strip("_")
    return (name or "response")[:64]
