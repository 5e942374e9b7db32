"""`congming doctor`: what is installed, what is configured, what is missing and how to fix it."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from agent.errors import CongmingError
from agent.settings import Settings

Status = Literal["ok", "warn", "fail"]


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    status: Status
    detail: str
    fix: str = ""


# module -> (distribution, extra, what it enables)
OPTIONAL = {
    "llama_cpp": ("llama-cpp-python", "local", "llama.cpp generation (default backend)"),
    "sentence_transformers": ("sentence-transformers", "local", "embeddings"),
    "transformers": ("transformers", "transformers", "transformers backend"),
    "torch": ("torch", "transformers", "transformers backend, embeddings"),
    "langchain_core": ("langchain-core", "langchain", "LangChain models and retriever"),
}


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def check_python() -> Check:
    ok = sys.version_info >= (3, 11)
    return Check("python", "ok" if ok else "fail", sys.version.split()[0],
                 "" if ok else "congming needs Python 3.11 or newer.")


def check_data_dir(settings: Settings) -> Check:
    path = settings.data_dir
    existing = next((p for p in (path, *path.parents) if p.exists()), None)
    if existing is not None and os.access(existing, os.W_OK):
        state = "exists" if path.exists() else "will be created"
        return Check("data dir", "ok", f"{path} ({state})")
    return Check("data dir", "fail", f"{path} is not writable",
                 "Set CONGMING_DATA_DIR to a writable folder.")


def check_optional_packages() -> Iterator[Check]:
    for module, (distribution, extra, purpose) in OPTIONAL.items():
        if importlib.util.find_spec(module) is None:
            yield Check(f"package {distribution}", "warn", f"not installed ({purpose})",
                        f"pip install 'congming[{extra}]'")
        else:
            yield Check(f"package {distribution}", "ok", f"{_version(distribution)} ({purpose})")


def _model_check(name: str, locate: Callable[[], Path]) -> Check:
    try:
        path = locate()
    except CongmingError as exc:
        return Check(name, "fail", "not found", str(exc))
    if not path.exists():
        return Check(name, "fail", f"{path} does not exist", "Fix the model path in settings.")
    size = path.stat().st_size if path.is_file() else sum(
        p.stat().st_size for p in path.rglob("*") if p.is_file())
    return Check(name, "ok", f"{path} ({size / 1e6:.0f} MB)")


def check_llm_model(settings: Settings) -> Check:
    """The model the configured backend will run: its resolved file, or the server and model name.
    Nothing is downloaded; an OpenAI-compatible server is asked for its model list."""
    from agent.llm import BACKENDS
    from agent.llm.catalog import list_models, model_in_use, models_dir_of
    from agent.llm.model_ref import how_to_fetch, is_hub_reference, parse_hub_reference

    backend = settings.llm.backend
    if backend not in BACKENDS:
        return Check("llm backend", "fail", f"unknown backend {backend!r}",
                     f"Set CONGMING_LLM__BACKEND to one of {sorted(BACKENDS)}.")
    if backend == "openai":
        in_use = list_models(settings.llm).in_use
        if in_use.problem:
            return Check("llm backend", "fail", f"openai-compatible server: {in_use.label}", in_use.problem)
        return Check("llm backend", "ok", f"openai-compatible server, model {in_use.label}")
    if backend == "fake":
        return Check("llm backend", "warn", "fake (scripted replies, for tests only)",
                     "Set CONGMING_LLM__BACKEND=llamacpp for a real model.")
    model = settings.llm.model
    name = f"llm model ({backend})" if model else f"llm model ({backend}, packaged)"
    in_use = model_in_use(settings.llm)
    if in_use.pending:
        ref = parse_hub_reference(model)
        return Check(name, "warn", f"{model} not downloaded yet (the first load downloads it)",
                     how_to_fetch(ref, models_dir_of(settings.llm)))
    if in_use.problem or in_use.path is None:
        detail = "does not exist" if "does not exist" in in_use.problem else "not found"
        return Check(name, "fail", f"{model or 'packaged model'} {detail}", in_use.problem)
    check = _model_check(name, lambda: in_use.path)
    if is_hub_reference(model) and check.status == "ok":
        return Check(name, "ok", f"{model} -> {check.detail}")
    return check


def small_model(settings: Settings) -> bool:
    """Whether the model counts as small (llm.small, else: the packaged model on llama.cpp), as
    the turn decides with ``llm.small`` / ``capabilities.small``."""
    if settings.llm.small is not None:
        return settings.llm.small
    return settings.llm.backend == "llamacpp" and not settings.llm.model


def check_answerer(settings: Settings) -> Check:
    """Who writes answers to questions: the evidence reader or the LLM (agent.answerer)."""
    answerer = settings.agent.answerer
    small = small_model(settings)
    size = "a small model" if small else "a capable model"
    if answerer == "auto":
        author = "reader" if small else "llm"
        why = f"agent.answerer = auto, {size}" + (" (llm.small)" if settings.llm.small is not None else "")
    else:
        author, why = answerer, f"agent.answerer = {answerer}"
    detail = f"{'the reader (quotes the evidence, no LLM)' if author == 'reader' else 'the LLM'}: {why}"
    if author == "llm" and small:
        return Check("answers written by", "warn", detail,
                     "A small model writes poor answers that the check mostly declines; set "
                     "CONGMING_AGENT__ANSWERER=auto or configure a bigger model (`congming models`).")
    fix = ("For answers written by a model, configure a bigger one (`congming models`)."
           if author == "reader" and answerer == "auto" else "")
    return Check("answers written by", "ok", detail, fix)


def check_embedder_model(settings: Settings) -> Check:
    from graph.embedding import packaged_minilm

    if settings.embedder.backend == "hash":
        return Check("embedder", "warn", "hash embedder (no model; weak retrieval)",
                     "Set CONGMING_EMBEDDER__BACKEND=sentence-transformers.")
    if settings.embedder.model:
        return _model_check("embedder model", lambda: Path(settings.embedder.model))
    return _model_check("embedder model (packaged)", packaged_minilm)


def check_llm_generates(settings: Settings) -> Check:
    """Load the configured model and generate a few tokens."""
    from agent.llm import ChatMessage, GenerationOptions, create_llm

    started = time.perf_counter()
    try:
        llm = create_llm(settings.llm)
        reply = llm.complete([ChatMessage("user", "Say hello.")], GenerationOptions(max_tokens=8))
        llm.close()
    except CongmingError as exc:
        return Check("llm generates", "fail", type(exc).__name__, str(exc))
    seconds = time.perf_counter() - started
    return Check("llm generates", "ok", f"{reply.strip()[:40]!r} in {seconds:.1f} s (load included)")


def check_embedder_embeds(settings: Settings) -> Check:
    from graph.embedding import create_embedder

    try:
        embedder = create_embedder(settings.embedder.backend, settings.embedder.model,
                                   device=settings.embedder.device)
        vectors = embedder.embed(["hello", "你好"])
    except CongmingError as exc:
        return Check("embedder embeds", "fail", type(exc).__name__, str(exc))
    return Check("embedder embeds", "ok", f"{vectors.shape[0]} texts -> dim {vectors.shape[1]}")


def run_checks(settings: Settings, *, load: bool = False, driver: object = None) -> list[Check]:
    """Every check; ``driver`` is an application's own Neo4j driver to check instead of one
    opened from the settings."""
    from agent.doctor_graph import check_graph

    checks = [check_python(), check_data_dir(settings), *check_optional_packages(),
              check_llm_model(settings), check_answerer(settings), check_embedder_model(settings),
              *check_graph(settings, driver)]
    if load:
        checks += [check_llm_generates(settings), check_embedder_embeds(settings)]
    return checks
