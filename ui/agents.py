"""The UI process's one Agent and each chat's own settings.

Every chat shares one Agent: one knowledge base, one long-term memory (a single background writer
per data dir) and one loaded model per backend. A chat's settings (model backend, chain of thought,
policy, temperature) are its turns' options; they never change the shared agent.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from agent.core import Agent
from agent.llm import BACKENDS, LLM, create_llm
from agent.options import POLICIES, TurnOptions
from agent.settings import Settings

TEST_BACKENDS = ("fake",)  # offered in the UI only when it is the configured backend


@dataclass(frozen=True, slots=True)
class ChatPrefs:
    """The chat settings a user can change in the UI."""

    backend: str
    chain_of_thought: bool
    policy: str
    temperature: float

    @classmethod
    def of(cls, settings: Settings) -> ChatPrefs:
        return cls(settings.llm.backend, settings.agent.chain_of_thought, settings.agent.policy,
                   settings.llm.temperature)

    def updated(self, values: Mapping[str, Any], backends: tuple[str, ...]) -> ChatPrefs:
        """These prefs with the UI's values (widget id -> value) applied; bad values are ignored."""
        changes: dict[str, Any] = {}
        if values.get("backend") in backends:
            changes["backend"] = values["backend"]
        if isinstance(values.get("chain_of_thought"), bool):
            changes["chain_of_thought"] = values["chain_of_thought"]
        if values.get("policy") in POLICIES:
            changes["policy"] = values["policy"]
        temperature = values.get("temperature")
        if type(temperature) in (int, float) and 0 <= temperature <= 2:
            changes["temperature"] = float(temperature)
        return replace(self, **changes)


class AgentHost:
    """The shared Agent: ``open()`` at start, ``options(prefs)`` for each chat turn, ``close()``
    at the end."""

    def __init__(self, settings: Settings, agent: Agent | None = None) -> None:
        self.settings = settings
        self.agent = agent or Agent(settings.model_copy(deep=True))
        self.ingest_lock = threading.Lock()  # one upload at a time writes the knowledge base
        self._open_lock = threading.Lock()  # chats starting together open the agent once
        self._llm_lock = threading.Lock()  # and load another backend's model once
        self._llms: dict[str, LLM] = {}

    @property
    def backends(self) -> tuple[str, ...]:
        configured = self.settings.llm.backend
        names = [name for name in BACKENDS if name not in TEST_BACKENDS or name == configured]
        return tuple(dict.fromkeys([configured, *names]))

    def defaults(self) -> ChatPrefs:
        return ChatPrefs.of(self.settings)

    def open(self) -> AgentHost:
        with self._open_lock:
            self.agent.open()
        return self

    def close(self) -> None:
        self.agent.close()
        for llm in self._llms.values():
            llm.close()
        self._llms.clear()

    def options(self, prefs: ChatPrefs) -> TurnOptions:
        """A chat's prefs as its turn's options (loads the model of another backend the first time)."""
        llm = self._llm(prefs.backend) if prefs.backend != self.settings.llm.backend else None
        return TurnOptions(temperature=prefs.temperature, chain_of_thought=prefs.chain_of_thought,
                           policy=prefs.policy, llm=llm)

    def _llm(self, backend: str) -> LLM:
        with self._llm_lock:
            if backend not in self._llms:
                # llm.model names a model of the configured backend; another backend gets its default
                llm = create_llm(self.settings.llm.model_copy(update={"backend": backend, "model": None}))
                llm.open()
                self._llms[backend] = llm
            return self._llms[backend]
