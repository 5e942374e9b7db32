"""congming: a local-first chat agent that remembers and does not make things up."""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:
    from agent.core import Agent
    from agent.options import TurnOptions


def __getattr__(name: str):
    # `from agent import Agent` without importing the knowledge stack for every `import agent`.
    if name == "Agent":
        from agent.core import Agent

        return Agent
    if name == "TurnOptions":
        from agent.options import TurnOptions

        return TurnOptions
    raise AttributeError(f"module 'agent' has no attribute {name!r}")


__all__ = ["Agent", "TurnOptions", "__version__"]
