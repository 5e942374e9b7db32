"""One typed settings object, built at the edge (CLI, UI, API) and passed down.

Sources, highest priority first: explicit keyword arguments, environment variables
(prefix ``CONGMING_``, ``__`` between nested names, e.g. ``CONGMING_LLM__BACKEND=openai``),
a TOML file (``--config``, ``CONGMING_CONFIG`` or ``./congming.toml``), then defaults.
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from agent.server_settings import ServerSettings
from agent.ui_settings import UISettings

_config_file: ContextVar[Path | None] = ContextVar("congming_config_file", default=None)

DEFAULT_USER_ID = "local"  # the user a single-person install reads and writes as


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "congming"


class LLMSettings(BaseModel):
    backend: str = Field("llamacpp", description="llamacpp | transformers | openai | langchain | fake")
    model: str | None = Field(
        None,
        description="llamacpp: a GGUF path, a file name in models_dir, or hf:ORG/REPO/FILE.gguf "
        "(downloaded once into models_dir); transformers: a model directory or GGUF; openai: the "
        "server's model name. Empty means the packaged SmolLM2-135M-Instruct Q4_1 GGUF.",
    )
    models_dir: Path | None = Field(
        None, description="Folder of GGUF files (listed by `congming models`; hf: downloads land "
        "here); empty: <data_dir>/models."
    )
    n_ctx: int = Field(4096, ge=256, description="Context window in tokens (llamacpp).")
    n_batch: int = Field(512, ge=8, description="Prompt batch size (llamacpp).")
    threads: int = Field(
        default_factory=lambda: os.cpu_count() or 1, ge=1, description="CPU threads for inference."
    )
    max_tokens: int = Field(512, ge=1, description="Most new tokens per reply.")
    temperature: float = Field(0.2, ge=0.0, le=2.0)
    seed: int = 0
    quantize: Literal["none", "int8", "8bit", "4bit"] = Field(
        "none",
        description="transformers: int8 = torch dynamic int8 on CPU; 8bit/4bit = bitsandbytes on CUDA.",
    )
    device: str = Field("cpu", description="transformers: cpu | cuda | auto")
    base_url: str = Field("http://127.0.0.1:11434/v1", description="OpenAI-compatible server URL.")
    api_key: SecretStr | None = None
    timeout_s: float = Field(120.0, gt=0)
    small: bool | None = Field(
        None, description="A small model that cannot author answers (the reader answers instead, "
        "agent.answerer = auto); empty: true for the packaged model only."
    )


class EmbedderSettings(BaseModel):
    backend: str = Field("sentence-transformers", description="sentence-transformers | hash")
    model: str | None = Field(
        None, description="Model directory; empty means the packaged all-MiniLM-L6-v2."
    )
    batch_size: int = Field(32, ge=1)
    device: str = "cpu"


class KnowledgeSettings(BaseModel):
    chunk_size: int = Field(200, ge=8, description="Chunk size in approximate tokens.")
    chunk_overlap: int = Field(30, ge=0, description="Tokens shared by neighbouring chunks.")
    extractor: Literal["fast", "llm", "none"] = Field(
        "fast", description="Entity extraction: fast (no LLM), llm (the configured LLM), none."
    )
    hnsw_threshold: int = Field(
        20_000, ge=1, description="Vectors per user past which FAISS switches from exact to HNSW."
    )
    max_file_mb: float = Field(50.0, gt=0, description="Files larger than this are refused.")

    @model_validator(mode="after")
    def _overlap_below_size(self) -> KnowledgeSettings:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError(f"knowledge.chunk_overlap ({self.chunk_overlap}) must be smaller than "
                             f"knowledge.chunk_size ({self.chunk_size}).")
        return self

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)


class AgentSettings(BaseModel):
    chain_of_thought: bool = Field(
        True, description="Reason step by step in a separate channel before answering."
    )
    policy: Literal["annotate", "extractive", "abstain"] = Field(
        "abstain",
        description="Unsupported answers: annotate (flag sentences), extractive (quote the best "
        "evidence) or abstain (say it does not know).",
    )
    language: Literal["auto", "en", "zh"] = Field(
        "auto", description="Reply language; auto follows the user's message."
    )
    answerer: Literal["auto", "reader", "llm"] = Field(
        "auto", description="Who writes answers to questions: reader (quotes the answer from the "
        "evidence, no LLM), llm (the model writes, the check decides), auto (the reader for small "
        "models: the packaged one, or llm.small = true)."
    )
    general_knowledge: bool = Field(
        False, description="With answerer llm: a question the evidence says nothing about may be answered "
        "from the model's own knowledge, labelled as such and unchecked (capable models only)."
    )
    evidence_k: int = Field(5, ge=0, description="Passages retrieved from documents per turn.")
    memory_k: int = Field(5, ge=0, description="Remembered turns and facts recalled per turn.")
    self_consistency: int = Field(
        1, ge=1, le=16, description="Reasoning samples per answer (majority vote); >1 for capable models."
    )
    self_check: bool = Field(
        False, description="Also ask the model whether each claim follows from the evidence (LLM "
        "self-check, averaged with the verifier's score); for capable models only - a small one "
        "says yes to almost anything."
    )
    max_message_chars: int = Field(20_000, ge=1, description="Longer messages are refused.")


class MemorySettings(BaseModel):
    enabled: bool = Field(True, description="Remember turns and facts across sessions.")
    half_life_days: float = Field(
        30.0, gt=0, description="A fact not repeated for this long counts half as strong."
    )
    min_strength: float = Field(
        0.05, ge=0, le=1, description="Facts weaker than this are left out of retrieval (never deleted)."
    )
    pinned_facts: int = Field(8, ge=0, description="Strongest current facts given to the model each turn.")
    extractor: Literal["rules", "llm"] = Field(
        "rules", description="Facts from what the user says: rules (en+zh patterns) or llm (capable models)."
    )


class GraphSettings(BaseModel):
    backend: str = Field("sqlite", description="sqlite (embedded, default) | neo4j (a Neo4j 5 server).")
    uri: str | None = Field(None, description="Neo4j URI, e.g. neo4j://localhost:7687 (backend neo4j).")
    user: str = Field("neo4j", description="Neo4j user name.")
    password: SecretStr | None = Field(None, description="Neo4j password.")
    database: str | None = Field(None, description="Neo4j database; empty means the server default.")
    query_timeout_s: float = Field(30.0, gt=0, description="Server-side limit of one Neo4j transaction.")
    degrade: bool = Field(
        True, description="Neo4j down: answer from vectors + keywords instead of failing the chat."
    )
    native_indexes: bool = Field(
        False, description="Neo4j's vector and full-text indexes instead of FAISS and FTS5 (backend neo4j)."
    )
    ask_graph: bool = Field(
        False, description="Let a capable model answer by writing read-only Cypher (never the packaged 135M)."
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CONGMING_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    data_dir: Path = Field(default_factory=default_data_dir)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    embedder: EmbedderSettings = Field(default_factory=EmbedderSettings)
    knowledge: KnowledgeSettings = Field(default_factory=KnowledgeSettings)
    agent: AgentSettings = Field(default_factory=AgentSettings)
    memory: MemorySettings = Field(default_factory=MemorySettings)
    graph: GraphSettings = Field(default_factory=GraphSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    ui: UISettings = Field(default_factory=UISettings)

    @model_validator(mode="after")
    def _models_dir_in_data_dir(self) -> Settings:
        if self.llm.models_dir is None:
            self.llm.models_dir = self.data_dir / "models"
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = _config_file.get()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    @classmethod
    def load(cls, config_file: str | Path | None = None, **overrides) -> Settings:
        """Build settings from overrides, the environment and an optional TOML file."""
        from graph.errors import ConfigError

        path = config_file or os.environ.get("CONGMING_CONFIG")
        if path is None and Path("congming.toml").is_file():
            path = "congming.toml"
        if path is not None and not Path(path).is_file():
            raise ConfigError(f"Config file {path} does not exist; fix the path or remove it.")
        token = _config_file.set(Path(path) if path else None)
        try:
            return cls(**overrides)
        except ValueError as exc:
            raise ConfigError(f"Invalid settings: {exc}") from exc
        finally:
            _config_file.reset(token)
