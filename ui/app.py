"""The Chainlit app; `congming ui` runs it (with CHAINLIT_APP_ROOT and CHAINLIT_AUTH_SECRET set,
see ui/launch.py). Only registration here: the work is in ui/chat.py.

Settings are read when Chainlit loads this module, from the same sources as every congming
command (CONGMING_* variables, CONGMING_CONFIG or ./congming.toml).
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

import chainlit as cl
from chainlit.server import app as server

from agent.settings import DEFAULT_USER_ID, Settings
from ui.chat import ChatApp
from ui.history import LocalStorageClient, add_elements_route, history_data_layer
from ui.launch import UIPaths

logger = logging.getLogger("congming.ui")
settings = Settings.load()
paths = UIPaths.of(settings.data_dir)
storage = LocalStorageClient(paths.elements)
chat = ChatApp(settings)
add_elements_route(server, storage)


history = history_data_layer(paths.history, storage)


@cl.data_layer
def data_layer() -> Any:
    return history


def check_password(username: str, password: str) -> cl.User | None:
    """The user, if the password is theirs (compared in constant time)."""
    expected = settings.ui.passwords.get(username)
    if expected is None:
        hmac.compare_digest(password.encode("utf-8"), b"\0" * 16)  # the same work for unknown users
        return None
    if hmac.compare_digest(password.encode("utf-8"), expected.get_secret_value().encode("utf-8")):
        return cl.User(identifier=username, metadata={"provider": "password"})
    return None


if settings.ui.login:
    cl.password_auth_callback(check_password)
else:
    @cl.header_auth_callback
    def local_user(headers: Any) -> cl.User:
        """No passwords set: the UI is on loopback only and whoever opens it is the local user."""
        return cl.User(identifier=DEFAULT_USER_ID, metadata={"provider": "local"})


@cl.on_app_shutdown
async def shut_down() -> None:
    """Finish writing history (a reply's citations are still being stored), then close the agents."""
    unfinished = await history.flush()
    chat.host.close()
    if unfinished:
        logger.warning("Stopped with %d chat history writes unfinished.", unfinished)
    else:
        logger.info("Stopped: chat history written, agents closed.")


@cl.on_chat_start
async def on_chat_start() -> None:
    await chat.start()


@cl.on_chat_resume
async def on_chat_resume(thread: Any) -> None:
    await chat.resume(thread)


@cl.on_message
async def on_message(message: cl.Message) -> None:
    await chat.message(message)


@cl.on_settings_update
async def on_settings_update(values: dict[str, Any]) -> None:
    await chat.settings_changed(values)


for _name in ("show_graph", "show_memories", "remember_this", "forget_fact", "forget_all"):
    cl.action_callback(_name)(chat.action)
