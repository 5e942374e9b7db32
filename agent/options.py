"""Per-turn choices that override the agent's settings for one turn only (the UI's chat
settings, an API request's temperature), so turns with different choices can run side by side."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, get_args

from agent.errors import ConfigError
from agent.settings import AgentSettings

if TYPE_CHECKING:
    from agent.llm.base import LLM

POLICIES: tuple[str, ...] = get_args(AgentSettings.model_fields["policy"].annotation)


@dataclass(frozen=True, slots=True)
class TurnOptions:
    """None leaves the setting as configured."""

    temperature: float | None = None
    max_tokens: int | None = None
    chain_of_thought: bool | None = None
    policy: str | None = None  # annotate | extractive | abstain
    llm: LLM | None = None  # answer with this model instead of the agent's

    def __post_init__(self) -> None:
        if self.temperature is not None and not 0.0 <= self.temperature <= 2.0:
            raise ConfigError(f"temperature must be between 0 and 2, got {self.temperature}.")
        if self.max_tokens is not None and self.max_tokens < 1:
            raise ConfigError(f"max_tokens must be at least 1, got {self.max_tokens}.")
        if self.policy is not None and self.policy not in POLICIES:
            raise ConfigError(f"policy must be one of {', '.join(POLICIES)}, got {self.policy!r}.")


DEFAULT_OPTIONS = TurnOptions()
