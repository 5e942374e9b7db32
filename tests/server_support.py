"""Helpers for the HTTP API tests: an agent with a FakeLLM that answers from its evidence,
a real uvicorn server on a free loopback port, and a server-sent-events reader."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterable

from agent.llm.fake import FakeLLM, evidence_reply

KEY_ALICE = "sk-alice-0123456789"
KEY_BOB = "sk-bob-0123456789"
KEY_APP = "sk-app-0123456789"
KEYS = [{"key": KEY_ALICE, "user": "alice"}, {"key": KEY_BOB, "user": "bob"},
        {"key": KEY_APP, "user": "app", "multi_user": True}]

def server_settings(settings, *, keys=KEYS, **server):
    settings.embedder.backend = "hash"
    settings.server = settings.server.model_validate({"api_keys": keys, **server})
    return settings


def make_agent(settings, replies=(evidence_reply,)):
    from agent import Agent

    llm = FakeLLM(list(replies))
    return Agent(settings, llm=llm), llm


class ServerThread:
    """The app under uvicorn on 127.0.0.1, on a port picked by the OS, in a daemon thread."""

    def __init__(self, app) -> None:
        import uvicorn

        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]},
                                       daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start; see the log above")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.socket.close()


def sse_data(lines: Iterable[str]) -> list[dict | str]:
    """The ``data:`` payloads of a server-sent-events body, JSON decoded ("[DONE]" kept as is)."""
    out: list[dict | str] = []
    for line in lines:
        if line.startswith("data: "):
            payload = line[len("data: "):]
            out.append(payload if payload == "[DONE]" else json.loads(payload))
    return out
