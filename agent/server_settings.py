"""Settings of the HTTP API (`congming serve`); part of ``Settings`` as ``settings.server``.

API keys, from a TOML file or the environment, either as a mapping key -> user::

    CONGMING_SERVER__API_KEYS='{"sk-alice-123": "alice", "sk-bob-456": "bob"}'

or as a list of entries, which can also let one key act for many users (an app that
serves its own users)::

    [[server.api_keys]]
    key = "sk-app-789"
    user = "myapp"
    multi_user = true   # a request's `user` field "ann" reads and writes as "myapp:ann"
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator

SUB_USER_SEPARATOR = ":"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class ApiKey(BaseModel):
    key: SecretStr = Field(description="The bearer token clients send (Authorization: Bearer KEY).")
    user: str = Field(description="The user this key reads and writes as.")
    multi_user: bool = Field(
        False,
        description="Let requests name a user (the `user` field); they are kept apart as "
        "'<user>:<name>', so a key never reaches another key's user.",
    )

    @field_validator("key")
    @classmethod
    def _key_not_blank(cls, key: SecretStr) -> SecretStr:
        if len(key.get_secret_value().strip()) < 8:
            raise ValueError("an API key must have at least 8 characters")
        return key

    @field_validator("user")
    @classmethod
    def _plain_user(cls, user: str) -> str:
        if not user.strip() or SUB_USER_SEPARATOR in user:
            raise ValueError(f"an API key's user must be a non-empty name without {SUB_USER_SEPARATOR!r} "
                             f"(got {user!r})")
        return user


class ServerSettings(BaseModel):
    host: str = Field("127.0.0.1", description="Address to listen on; other than loopback needs API keys.")
    port: int = Field(8080, ge=0, le=65535, description="Port to listen on (0: any free port).")
    api_keys: list[ApiKey] = Field(
        default_factory=list,
        description="Accepted bearer keys, each acting for one user. None: no auth, loopback only, "
        "every request acts as the local user.",
    )
    max_request_bytes: int = Field(
        1_048_576, ge=1024,
        description="Larger request bodies are refused with 413 (file uploads: knowledge.max_file_mb).",
    )
    model_name: str = Field("congming", min_length=1, description="The model id the API advertises.")
    keep_alive_s: int = Field(
        30, ge=1, description="Idle connections are kept this long; longer than clients' own expiry "
        "(httpx, and so the openai client: 5 s), so a client never reuses a connection as it closes.",
    )
    cors_origins: list[str] = Field(
        default_factory=list, description="Browser origins allowed to call the API (CORS); empty: CORS off."
    )

    @field_validator("api_keys", mode="before")
    @classmethod
    def _mapping_form(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return [{"key": key, "user": user} for key, user in value.items()]
        return value

    @model_validator(mode="after")
    def _distinct_keys(self) -> ServerSettings:
        secrets = [entry.key.get_secret_value() for entry in self.api_keys]
        if len(set(secrets)) != len(secrets):
            raise ValueError("server.api_keys lists the same key twice; give each entry its own key")
        return self

    @property
    def is_loopback(self) -> bool:
        return self.host in LOOPBACK_HOSTS
