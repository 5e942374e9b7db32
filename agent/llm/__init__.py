"""LLM backends, picked by name from settings."""

from __future__ import annotations

import importlib

from agent.errors import ConfigError
from agent.llm.base import LLM, BaseLLM, Capabilities, ChatMessage, GenerationOptions
from agent.settings import LLMSettings

# name -> "module:Class"; each class has ``from_settings(LLMSettings)``.
BACKENDS: dict[str, str] = {
    "llamacpp": "agent.llm.llamacpp:LlamaCppLLM",
    "transformers": "agent.llm.hf:TransformersLLM",
    "openai": "agent.llm.openai_compat:OpenAICompatibleLLM",
    "fake": "agent.llm.fake:FakeLLM",
}


def create_llm(settings: LLMSettings) -> LLM:
    """Build (but do not load) the LLM backend named in settings."""
    target = BACKENDS.get(settings.backend)
    if target is None:
        hint = ""
        if settings.backend == "langchain":
            hint = " A LangChain model is an object: pass LangChainLLM(your_model) to the Agent."
        raise ConfigError(
            f"Unknown LLM backend {settings.backend!r}; choose one of {sorted(BACKENDS)}.{hint}"
        )
    module_name, class_name = target.split(":")
    backend_class = getattr(importlib.import_module(module_name), class_name)
    return backend_class.from_settings(settings)


__all__ = [
    "BACKENDS",
    "LLM",
    "BaseLLM",
    "Capabilities",
    "ChatMessage",
    "GenerationOptions",
    "create_llm",
]
