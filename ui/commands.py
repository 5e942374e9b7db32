"""Chat commands: picked in Chainlit's command menu, or typed as ``/name argument``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ui.text import UIText

COMMANDS: tuple[tuple[str, str], ...] = (
    ("remember", "brain"),
    ("forget", "eraser"),
    ("memories", "list"),
    ("graph", "network"),
)
EVERYTHING = frozenset({"everything", "all", "*", "全部", "所有", "一切", "全部记忆"})
_TYPED = re.compile(r"^/([A-Za-z_]+)(?:\s+(.*))?$", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    argument: str = ""


def parse_command(content: str, command: str | None = None) -> Command | None:
    """The command in a message: Chainlit's selected command, else a leading ``/name``; None for chat."""
    content = (content or "").strip()
    if command:
        return Command(command.strip().lower(), content)
    typed = _TYPED.match(content)
    if typed is None:
        return None
    return Command(typed.group(1).lower(), (typed.group(2) or "").strip())


def means_everything(argument: str) -> bool:
    return argument.strip().lower() in EVERYTHING


def command_menu(text: UIText) -> list[dict]:
    """Chainlit's command list (CommandDict) in the UI language."""
    return [{"id": name, "icon": icon, "description": text(f"command_{name}"), "button": False,
             "persistent": False} for name, icon in COMMANDS]
