"""Adapts any agent LLM to graph.extract_llm.JsonLLM (graph/ never imports agent/)."""

from __future__ import annotations

import json
from typing import Any

from agent.llm.base import LLM, ChatMessage, GenerationOptions


class JsonCompleter:
    """One greedy completion held to a JSON schema where the backend supports that
    (llama.cpp grammars, servers with response_format); elsewhere the schema goes into the
    prompt and the caller's validation has the last word."""

    def __init__(self, llm: LLM, *, max_tokens: int = 1024, seed: int | None = 0) -> None:
        self.llm = llm
        self.max_tokens = max_tokens
        self.seed = seed

    def complete_json(self, system: str, user: str, schema: dict[str, Any]) -> str:
        constrained = self.llm.capabilities.json_schema
        if not constrained:
            system = f"{system}\n\nThe answer must match this JSON schema:\n{json.dumps(schema)}"
        options = GenerationOptions(
            max_tokens=self.max_tokens, temperature=0.0, seed=self.seed,
            json_schema=schema if constrained else None,
        )
        messages = [ChatMessage("system", system), ChatMessage("user", user)]
        return self.llm.complete(messages, options)
