"""Prepares Chainlit's app folder (``<data dir>/ui``) and the command that runs the chat UI.

Chainlit reads its config, translations and welcome page from its app folder, and does so when
it is imported; so this module never imports chainlit, and the UI runs in its own process with
``CHAINLIT_APP_ROOT`` set. Everything here is written afresh at each start from the settings,
except the login secret, which is made once per data dir and kept there (never in the repo).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import math
import os
import secrets
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.errors import ConfigError, MissingExtraError
from agent.settings import Settings

PACKAGE_DIR = Path(__file__).parent
LANGUAGES = ("en-US", "zh-CN")
ENTRY = "# Written by `congming ui`: Chainlit runs this file.\nfrom ui.app import *  # noqa: F403\n"

CONFIG_TEMPLATE = """\
# Written by `congming ui` at each start from congming's settings; edit those instead.
[project]
user_env = []
session_timeout = 3600
user_session_timeout = 1296000
cache = false
persist_user_env = false
mask_user_env = false
allow_origins = ["*"]

[features]
unsafe_allow_html = false
latex = false
user_message_markdown = true
user_message_autoscroll = true
assistant_message_autoscroll = true
auto_tag_thread = true
edit_message = false
allow_thread_sharing = false
favorites = false

[features.spontaneous_file_upload]
enabled = true
accept = {accept}
max_files = 20
max_size_mb = {max_size_mb}

[features.audio]
enabled = false

[features.mcp]
enabled = false

[UI]
name = {name}
{language}cot = "full"
confirm_new_chat = true
alert_style = "classic"

[meta]
generated_by = {version}
"""


@dataclass(frozen=True, slots=True)
class UIPaths:
    """Where the UI keeps its files inside the data dir."""

    root: Path

    @classmethod
    def of(cls, data_dir: Path) -> UIPaths:
        return cls(Path(data_dir).resolve() / "ui")

    @property
    def config(self) -> Path:
        return self.root / ".chainlit" / "config.toml"

    @property
    def translations(self) -> Path:
        return self.root / ".chainlit" / "translations"

    @property
    def history(self) -> Path:
        return self.root / "history.db"

    @property
    def elements(self) -> Path:
        return self.root / "elements"

    @property
    def secret(self) -> Path:
        return self.root / "auth_secret"

    @property
    def entry(self) -> Path:
        return self.root / "congming_app.py"


def _chainlit_dir() -> Path:
    spec = importlib.util.find_spec("chainlit")
    if spec is None or not spec.submodule_search_locations:
        raise MissingExtraError("The chat UI needs Chainlit: pip install 'congming[ui]'.")
    return Path(next(iter(spec.submodule_search_locations)))


def auth_secret(path: Path) -> str:
    """The data dir's login-cookie secret, made on first use and readable only by its owner."""
    if path.is_file():
        secret = path.read_text(encoding="utf-8").strip()
        if len(secret) >= 32:
            return secret
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(secret)
    return secret


def accepted_types() -> str:
    """The file types the loaders read, as Chainlit's upload filter (a TOML table MIME -> extensions)."""
    from graph.loaders import MEDIA_TYPES

    by_type: dict[str, list[str]] = {}
    for suffix, media_type in MEDIA_TYPES.items():
        by_type.setdefault(media_type, []).append(suffix)
    return "{ " + ", ".join(f"{json.dumps(t)} = {json.dumps(s)}" for t, s in by_type.items()) + " }"


def config_text(settings: Settings) -> str:
    ui = settings.ui
    language = "" if ui.language == "auto" else f"language = {json.dumps(ui.language)}\n"
    return CONFIG_TEMPLATE.format(name=json.dumps(ui.name), language=language,
                                  max_size_mb=max(1, math.ceil(settings.knowledge.max_file_mb)),
                                  accept=accepted_types(),
                                  version=json.dumps(importlib.metadata.version("chainlit")))


def _merged(base: Any, extra: Any) -> Any:
    if isinstance(base, dict) and isinstance(extra, dict):
        return {**base, **{key: _merged(base.get(key), value) for key, value in extra.items()}}
    return extra


def write_translations(folder: Path) -> None:
    """Chainlit's own en-US and zh-CN texts with congming's changes (ui/translations/) on top."""
    folder.mkdir(parents=True, exist_ok=True)
    bundled = _chainlit_dir() / "translations"
    for language in LANGUAGES:
        base = json.loads((bundled / f"{language}.json").read_text(encoding="utf-8"))
        ours = json.loads((PACKAGE_DIR / "translations" / f"{language}.json").read_text(encoding="utf-8"))
        merged = json.dumps(_merged(base, ours), ensure_ascii=False, indent=2)
        (folder / f"{language}.json").write_text(merged, encoding="utf-8")


def prepare(settings: Settings) -> UIPaths:
    """Write Chainlit's app folder for these settings; returns where it is."""
    paths = UIPaths.of(settings.data_dir)
    paths.config.parent.mkdir(parents=True, exist_ok=True)
    paths.config.write_text(config_text(settings), encoding="utf-8")
    write_translations(paths.translations)
    shutil.copytree(PACKAGE_DIR / "public", paths.root / "public", dirs_exist_ok=True)
    for readme in PACKAGE_DIR.glob("chainlit*.md"):
        (paths.root / readme.name).write_text(readme.read_text(encoding="utf-8"), encoding="utf-8")
    paths.entry.write_text(ENTRY, encoding="utf-8")
    return paths


def check_exposure(settings: Settings) -> None:
    ui = settings.ui
    if not ui.is_loopback and not ui.login:
        raise ConfigError(f"The UI would listen on {ui.host} without a login: anyone who can reach it could "
                          "read your documents and memory. Set ui.passwords (e.g. CONGMING_UI__PASSWORDS="
                          "'{\"me\": \"a long password\"}') or keep ui.host = 127.0.0.1.")


def ui_command(paths: UIPaths, settings: Settings) -> list[str]:
    return [sys.executable, "-m", "chainlit", "run", str(paths.entry), "--headless",
            "--host", settings.ui.host, "--port", str(settings.ui.port)]


def ui_environment(paths: UIPaths, settings: Settings, config_file: Path | None) -> dict[str, str]:
    """The UI process's environment: the app folder, the login secret, and the same settings."""
    env = dict(os.environ)
    env.update({"CHAINLIT_APP_ROOT": str(paths.root), "CHAINLIT_AUTH_SECRET": auth_secret(paths.secret),
                "CONGMING_DATA_DIR": str(Path(settings.data_dir).resolve()),
                "CONGMING_UI__HOST": settings.ui.host, "CONGMING_UI__PORT": str(settings.ui.port)})
    if config_file is not None:
        env["CONGMING_CONFIG"] = str(Path(config_file).resolve())
    return env
