"""Settings of the chat UI (`congming ui`); part of ``Settings`` as ``settings.ui``.

Password login, from a TOML file or the environment, as a mapping user -> password::

    CONGMING_UI__PASSWORDS='{"alice": "correct horse", "bob": "battery staple"}'

Without passwords the UI listens on loopback only and everyone who opens it is the local user.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class UISettings(BaseModel):
    host: str = Field("127.0.0.1", description="Address to listen on; other than loopback needs passwords.")
    port: int = Field(8000, ge=1, le=65535, description="Port to listen on.")
    passwords: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="user -> password for the login page. None: no login, loopback only, everyone "
        "is the local user.",
    )
    language: Literal["auto", "en-US", "zh-CN"] = Field(
        "auto", description="UI language; auto follows the browser."
    )
    name: str = Field("congming", min_length=1, description="The assistant's name in the UI.")

    @field_validator("passwords")
    @classmethod
    def _usable_passwords(cls, passwords: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for user, password in passwords.items():
            if not user.strip() or user != user.strip():
                raise ValueError(f"a UI user name must be non-empty, without surrounding spaces: {user!r}")
            if len(password.get_secret_value()) < 4:
                raise ValueError(f"the UI password of {user!r} must have at least 4 characters")
        return passwords

    @property
    def is_loopback(self) -> bool:
        return self.host in LOOPBACK_HOSTS

    @property
    def login(self) -> bool:
        return bool(self.passwords)
