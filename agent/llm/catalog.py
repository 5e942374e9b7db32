"""What models are configured and found: the packaged GGUF, GGUF files in the models folder
and the Hugging Face cache, and an OpenAI-compatible server's ``/models``; which one is in use.

Nothing here downloads a model or loads one; the only network call is the server's model list,
with a short timeout, and a server that is down is reported, not raised.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from agent.errors import CongmingError
from agent.llm.model_ref import (
    HUB_PREFIX,
    default_models_dir,
    hub_cache_dir,
    is_hub_reference,
    resolve_gguf,
)
from agent.settings import LLMSettings

SERVER_TIMEOUT_S = 3.0
GGUF_BACKENDS = ("llamacpp", "transformers")


@dataclass(frozen=True, slots=True)
class ModelEntry:
    source: str  # packaged | models folder | hf cache | configured | server
    name: str  # what to put in llm.model to use it ("" for the packaged model)
    location: str  # a file path or the server's URL
    size_bytes: int | None = None
    in_use: bool = False


@dataclass(frozen=True, slots=True)
class ModelInUse:
    backend: str
    label: str  # a resolved file path, a server model name, or a description
    path: Path | None = None  # the GGUF file or model directory, when there is one
    problem: str = ""  # why it cannot be used as configured (with what to do)
    pending: bool = False  # an hf: reference that the first load will download


@dataclass(slots=True)
class Catalog:
    in_use: ModelInUse
    entries: list[ModelEntry] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # a server that is down, an empty folder


def models_dir_of(settings: LLMSettings) -> Path:
    return Path(settings.models_dir) if settings.models_dir else default_models_dir()


def model_in_use(settings: LLMSettings, served: list[str] | None = None) -> ModelInUse:
    """The model the configured backend will run, found without loading or downloading it."""
    backend = settings.backend
    if backend == "openai":
        name = settings.model or (served[0] if served else "")
        label = name or "the server's first model"
        return ModelInUse(backend, f"{label} at {settings.base_url}")
    if backend == "fake":
        return ModelInUse(backend, "fake (scripted replies, for tests)")
    if backend not in GGUF_BACKENDS:
        return ModelInUse(backend, backend, problem=f"unknown backend {backend!r}")
    if backend == "transformers" and settings.model:
        if is_hub_reference(settings.model):
            return ModelInUse(backend, settings.model, problem=(
                "hf: references are read by llm.backend = llamacpp; the transformers backend takes "
                "a local model directory or .gguf path."))
        path = Path(settings.model).expanduser()
        problem = "" if path.exists() else f"{path} does not exist; fix llm.model."
        return ModelInUse(backend, str(path), path if path.exists() else None, problem)
    try:
        path = resolve_gguf(settings.model, models_dir_of(settings), download=False)
    except CongmingError as exc:
        pending = is_hub_reference(settings.model) and "not downloaded yet" in str(exc)
        return ModelInUse(backend, settings.model or "packaged", problem=str(exc), pending=pending)
    return ModelInUse(backend, str(path), path)


def gguf_files(folder: Path) -> list[Path]:
    """GGUF files under ``folder`` (hidden folders such as download metadata left out)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*.gguf")
                  if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def hub_cache_ggufs(cache_dir: Path | None = None) -> list[tuple[str, Path]]:
    """(``hf:ORG/REPO/FILE``, path) for each GGUF in the Hugging Face cache's snapshots."""
    cache_dir = cache_dir or hub_cache_dir()
    found: list[tuple[str, Path]] = []
    if not cache_dir.is_dir():
        return found
    for repo in sorted(cache_dir.glob("models--*--*")):
        repo_id = repo.name.removeprefix("models--").replace("--", "/", 1)
        seen: set[str] = set()
        for snapshot in sorted((repo / "snapshots").glob("*")):
            for path in gguf_files(snapshot):
                filename = path.relative_to(snapshot).as_posix()
                if filename not in seen:
                    seen.add(filename)
                    found.append((f"{HUB_PREFIX}{repo_id}/{filename}", path))
    return found


def server_models(settings: LLMSettings, timeout_s: float = SERVER_TIMEOUT_S) -> list[str]:
    """The model ids an OpenAI-compatible server lists; BackendUnavailableError and friends
    (with what to do) when it cannot be reached or does not answer as one."""
    from agent.llm.openai_compat import OpenAICompatibleLLM

    key = settings.api_key.get_secret_value() if settings.api_key else None
    llm = OpenAICompatibleLLM(settings.base_url, settings.model or "listing", api_key=key,
                              timeout_s=min(timeout_s, settings.timeout_s))
    try:
        llm.open()
        return list(llm.served_models)
    finally:
        llm.close()


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def _mark_in_use(entries: list[ModelEntry], path: Path) -> list[ModelEntry]:
    """Mark the entry that is ``path``: the same path, else the same file behind links (the
    Hugging Face cache links snapshots to blobs)."""
    def key(location: str, resolve: bool) -> Path | None:
        try:
            return Path(location).resolve() if resolve else Path(location).absolute()
        except OSError:
            return None

    for resolve in (False, True):
        target = key(str(path), resolve)
        for i, entry in enumerate(entries):
            if entry.source != "server" and key(entry.location, resolve) == target:
                return [*entries[:i], replace(entry, in_use=True), *entries[i + 1:]]
    return entries


def list_models(settings: LLMSettings) -> Catalog:
    """Everything configured and found, with the model in use marked."""
    served: list[str] = []
    notes: list[str] = []
    if settings.backend == "openai" and settings.base_url:
        try:
            served = server_models(settings)
        except CongmingError as exc:
            notes.append(f"server {settings.base_url} did not list its models: {exc}")
    in_use = model_in_use(settings, served)
    if settings.backend == "openai" and not served:
        in_use = ModelInUse(in_use.backend, in_use.label, problem=notes[0] if notes else
                            f"the server at {settings.base_url} lists no models")
    elif served and settings.model and settings.model not in served:
        in_use = ModelInUse(in_use.backend, in_use.label, problem=(
            f"the server does not list {settings.model!r}; set llm.model to one of: "
            + ", ".join(served)))
    catalog = Catalog(in_use, notes=notes)
    gguf_in_use = in_use.path if settings.backend in GGUF_BACKENDS else None
    try:
        from agent.llm.packaged import packaged_gguf

        packaged = packaged_gguf()
        catalog.entries.append(ModelEntry("packaged", "", str(packaged), _size(packaged)))
    except CongmingError as exc:
        notes.append(f"packaged model: {exc}")
    models_dir = models_dir_of(settings)
    local = gguf_files(models_dir)
    for path in local:
        name = path.relative_to(models_dir).as_posix()
        catalog.entries.append(ModelEntry("models folder", name, str(path), _size(path)))
    if not local:
        notes.append(f"no GGUF files in the models folder {models_dir}")
    for reference, path in hub_cache_ggufs():
        catalog.entries.append(ModelEntry("hf cache", reference, str(path), _size(path)))
    if gguf_in_use is not None:
        catalog.entries = _mark_in_use(catalog.entries, gguf_in_use)
    if gguf_in_use is not None and not any(e.in_use for e in catalog.entries):
        catalog.entries.append(ModelEntry("configured", settings.model or "", str(gguf_in_use),
                                          _size(gguf_in_use), True))
    for model_id in served:
        used = model_id == (settings.model or served[0])
        catalog.entries.append(ModelEntry("server", model_id, settings.base_url, None, used))
    return catalog
