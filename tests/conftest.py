"""Shared fixtures. No test reaches the network; the real model runs with 1 thread."""

from __future__ import annotations

import os
import tempfile

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Chainlit writes its app folder (.files, .chainlit) where it is imported: never in the repo.
os.environ.setdefault("CHAINLIT_APP_ROOT", tempfile.mkdtemp(prefix="congming-chainlit-"))


@pytest.fixture
def clean_env(tmp_path, monkeypatch):
    """No CONGMING_* variables and a fresh working directory (no stray congming.toml)."""
    for name in list(os.environ):
        if name.startswith("CONGMING_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


@pytest.fixture
def cli_env(settings, monkeypatch, tmp_path):
    """For CLI runs in-process: a hash embedder, no entity extractor (fast tests), a data dir in
    tmp_path and wide output; returns monkeypatch to set more."""
    monkeypatch.setenv("CONGMING_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CONGMING_EMBEDDER__BACKEND", "hash")
    monkeypatch.setenv("CONGMING_KNOWLEDGE__EXTRACTOR", "none")
    monkeypatch.setenv("COLUMNS", "200")
    return monkeypatch


@pytest.fixture
def settings(clean_env, tmp_path):
    """Settings isolated from the developer's environment and files, with 1 thread."""
    from agent.settings import Settings

    return Settings.load(data_dir=tmp_path / "data", llm={"threads": 1})


@pytest.fixture(scope="session")
def packaged_llm():
    """The real packaged model (SmolLM2-135M Q4_1 via llama.cpp), loaded once per session."""
    from agent.llm.llamacpp import LlamaCppLLM

    llm = LlamaCppLLM(n_ctx=2048, threads=1)
    llm.open()
    yield llm
    llm.close()


@pytest.fixture
def openai_stub():
    """A running stub OpenAI-compatible server on 127.0.0.1 (tests/stub_openai_server.py)."""
    from tests.stub_openai_server import StubOpenAIServer

    server = StubOpenAIServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def tiny_hf_model_dir(tmp_path_factory):
    """A tiny random Llama + locally trained tokenizer saved as a Hugging Face model directory."""
    pytest.importorskip("transformers")
    from tests.tiny_hf import make_tiny_model_dir

    return make_tiny_model_dir(tmp_path_factory.mktemp("tiny-hf-model"))
