"""The vector index: FAISS inner product over L2-normalised vectors, keyed by int64 row ids.

Exact (``IndexFlatIP``) while small; past ``hnsw_threshold`` vectors it is rebuilt as
``IndexHNSWFlat``, both inside ``IndexIDMap2`` so ids are the chunk/turn row ids. HNSW needs
no training (IVF's centroids would need a representative sample and go stale as chats
drift) and keeps high recall at this scale, but it cannot remove vectors: removed ids become
tombstones that every search excludes, and the index is rebuilt without them once they pass
``compact_ratio`` of it (shrinking back to exact when it got small).

User scoping is exact: the caller passes ``allowed_ids`` (e.g. the user's chunk row ids from
SQLite) and no other id is ever returned. Small allowed sets are scored by brute force over
their stored vectors; large ones go through a FAISS id selector, widening the HNSW search
when a selective filter leaves too few results, and falling back to brute force.

Saved atomically (temp file, fsync, rename, fsync dir) with a JSON sidecar holding the
count and a checksum of the ids; ``check()`` compares the index with the ids the database
says should be there and ``repair()`` fixes the difference.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import numpy as np

from graph import vector_files as files
from graph.errors import ConfigError, CongmingError, InputError, require

log = logging.getLogger(__name__)

IndexKind = Literal["flat", "hnsw"]
_BITMAP_MAX_ID = 1 << 23  # ids below this are filtered with a bitmap (1 MiB)


@dataclass(frozen=True, slots=True)
class VectorHit:
    id: int
    score: float  # inner product of normalised vectors (cosine similarity)


@dataclass(frozen=True, slots=True)
class Consistency:
    missing: tuple[int, ...] = ()  # should be in the index, are not
    extra: tuple[int, ...] = ()  # are in the index, should not be

    @property
    def ok(self) -> bool:
        return not self.missing and not self.extra


@cache
def _faiss() -> Any:
    faiss = require("faiss", "local", "The FAISS vector index")
    # searches are one query at a time: OpenMP threads only add wake-up latency (14 ms
    # instead of under 1 ms for a small index on a busy machine)
    faiss.omp_set_num_threads(1)
    return faiss


def set_search_threads(threads: int) -> None:
    """OpenMP threads for FAISS in this process (1 unless changed here, e.g. by a benchmark)."""
    _faiss().omp_set_num_threads(threads)


def _ids(ids: Iterable[int]) -> np.ndarray:
    if isinstance(ids, np.ndarray):
        out = ids.astype(np.int64, copy=False).ravel()
    elif isinstance(ids, set | frozenset | list | tuple | range):
        out = np.fromiter(ids, dtype=np.int64, count=len(ids))
    else:
        out = np.fromiter(ids, dtype=np.int64)
    if out.size and out.min() < 0:
        raise InputError("Vector ids must be non-negative integers (row ids).")
    return out


def _sorted_unique(ids: np.ndarray) -> np.ndarray:
    # np.unique is many times slower here (numpy 2.x hashes before sorting)
    ids = np.sort(ids)
    if ids.size > 1:
        ids = ids[np.concatenate(([True], ids[1:] != ids[:-1]))]
    return ids


class VectorIndex:
    """One FAISS index file (or in memory when ``path`` is None). Call ``open()`` first."""

    def __init__(self, path: str | Path | None, dim: int, *, model: str = "",
                 hnsw_threshold: int = 20_000, hnsw_m: int = 32, ef_construction: int = 40,
                 ef_search: int = 64, compact_ratio: float = 0.2, exact_below: int = 2048) -> None:
        if dim < 1 or hnsw_threshold < 1:
            raise ConfigError("VectorIndex needs dim >= 1 and hnsw_threshold >= 1.")
        self.path = Path(path) if path is not None else None
        self.dim = dim
        self.model = model
        self.hnsw_threshold = hnsw_threshold
        self.hnsw_m = hnsw_m
        self.ef_construction = ef_construction
        self.ef_search = ef_search
        self.compact_ratio = compact_ratio
        self.exact_below = exact_below
        self.sidecar_ok = True  # False when the sidecar did not describe the loaded file
        self.recovered_from: Path | None = None  # where an unreadable file was moved aside
        self._lock = threading.RLock()
        self._index: Any = None
        self._kind: IndexKind = "flat"
        self._stored: set[int] = set()
        self._tombstones: set[int] = set()
        self._live_cache: np.ndarray | None = None
        self._dirty = False

    # ---- lifecycle -------------------------------------------------------------------
    def open(self) -> None:
        with self._lock:
            if self._index is not None:
                return
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                files.remove_leftovers(self.path)
                if self.path.exists():
                    self._load()
                    return
            self._reset("flat")

    def close(self) -> None:
        with self._lock:
            if self._index is not None and self._dirty:
                self.save()
            self._index = None

    def _reset(self, kind: IndexKind) -> None:
        self._index, self._kind = self._new_index(kind), kind
        self._stored, self._tombstones, self._live_cache = set(), set(), None

    def _new_index(self, kind: IndexKind) -> Any:
        faiss = _faiss()
        if kind == "flat":
            base = faiss.IndexFlatIP(self.dim)
        else:
            base = faiss.IndexHNSWFlat(self.dim, self.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            base.hnsw.efConstruction = self.ef_construction
            base.hnsw.efSearch = self.ef_search
        return faiss.IndexIDMap2(base)

    def _load(self) -> None:
        faiss, path = _faiss(), self.path
        try:
            index = faiss.read_index(str(path))
            if not isinstance(index, faiss.IndexIDMap2):
                raise RuntimeError(f"not an IndexIDMap2 but {type(index).__name__}")
            inner = faiss.downcast_index(index.index)
        except (RuntimeError, AttributeError) as exc:
            self.recovered_from = files.quarantine(path)
            log.warning("Vector index %s is unreadable (%s); moved it to %s and started empty. "
                        "Run the consistency repair to re-embed its vectors.", path, exc,
                        self.recovered_from)
            self._reset("flat")
            self._dirty = True
            return
        meta = files.read_sidecar(path) or {}
        if index.d != self.dim or (self.model and meta.get("model", self.model) != self.model):
            raise ConfigError(
                f"The vector index {path} was built for dim={index.d}, model="
                f"{meta.get('model')!r}; the embedder now is dim={self.dim}, model={self.model!r}. "
                f"Delete {path} and {files.sidecar_path(path)}, then run the repair to re-embed.")
        self._index = index
        self._kind = "hnsw" if isinstance(inner, faiss.IndexHNSW) else "flat"
        stored = faiss.vector_to_array(index.id_map)
        self._stored = set(stored.tolist())
        self.sidecar_ok = (meta.get("count") == len(stored)
                           and meta.get("ids_sha256") == files.ids_checksum(stored))
        self._tombstones = set(meta.get("tombstones", ())) & self._stored
        self._live_cache = None
        if not self.sidecar_ok:
            log.warning("Vector index %s and its sidecar disagree (a save was interrupted); "
                        "run the consistency check against the database.", path)

    def save(self) -> None:
        """Write the index and its sidecar atomically (no-op for an in-memory index)."""
        with self._lock:
            index = self._require()
            if self.path is None:
                return
            faiss, path = _faiss(), self.path
            stored = np.fromiter(self._stored, dtype=np.int64)
            meta = {"format": files.SIDECAR_FORMAT, "dim": self.dim, "model": self.model,
                    "kind": self._kind, "count": int(stored.size),
                    "ids_sha256": files.ids_checksum(stored), "live": len(self),
                    "tombstones": sorted(self._tombstones)}
            data_tmp = files.write_temp(path, lambda tmp: faiss.write_index(index, str(tmp)))
            meta_path = files.sidecar_path(path)
            try:
                meta_tmp = files.write_temp(meta_path, lambda tmp: files.write_json(tmp, meta))
            except BaseException:
                data_tmp.unlink(missing_ok=True)
                raise
            os.replace(data_tmp, path)
            os.replace(meta_tmp, meta_path)
            files.fsync_dir(path.parent)
            self._dirty = False
            self.sidecar_ok = True

    def _require(self) -> Any:
        if self._index is None:
            raise CongmingError("The vector index is not open; call open() first.")
        return self._index

    # ---- contents --------------------------------------------------------------------
    @property
    def kind(self) -> IndexKind:
        return self._kind

    @property
    def dirty(self) -> bool:
        """Changed since it was loaded or last saved."""
        return self._dirty

    @property
    def tombstones(self) -> int:
        """Removed ids still inside the HNSW graph (excluded from every search)."""
        return len(self._tombstones)

    def __len__(self) -> int:
        return len(self._stored) - len(self._tombstones)

    def __contains__(self, item: object) -> bool:
        return item in self._stored and item not in self._tombstones

    def ids(self) -> np.ndarray:
        """The live ids, sorted."""
        with self._lock:
            if self._live_cache is None:
                live = self._stored - self._tombstones
                self._live_cache = np.sort(np.fromiter(live, dtype=np.int64, count=len(live)))
            return self._live_cache

    def _vectors(self, vectors: Any, rows: int | None = None) -> np.ndarray:
        matrix = np.asarray(vectors, dtype=np.float32)
        if matrix.ndim == 1:
            matrix = matrix[None, :]
        if matrix.ndim != 2 or matrix.shape[1] != self.dim or (rows is not None
                                                                and matrix.shape[0] != rows):
            raise InputError(f"Expected {rows if rows is not None else 'n'} vectors of dim "
                             f"{self.dim}, got an array of shape {np.shape(vectors)}.")
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return np.ascontiguousarray(matrix / np.maximum(norms, 1e-12))

    def add(self, ids: Iterable[int], vectors: Any) -> None:
        """Add vectors under ``ids``; an id already present is replaced."""
        keys = _ids(ids)
        matrix = self._vectors(vectors, rows=keys.size)
        if _sorted_unique(keys).size != keys.size:
            raise InputError("add() got the same id twice in one batch.")
        if not keys.size:
            return
        with self._lock:
            index = self._require()
            present = [k for k in keys.tolist() if k in self._stored]
            if present and self._kind == "flat":
                index.remove_ids(np.asarray(present, dtype=np.int64))
                self._stored.difference_update(present)
            elif present:  # HNSW cannot remove: tombstone, then rebuild without them
                self._tombstones.update(present)
                self._rebuild(self._kind)
                index = self._index
            index.add_with_ids(matrix, keys)
            self._stored.update(keys.tolist())
            self._changed()
            if self._kind == "flat" and len(self) > self.hnsw_threshold:
                self._rebuild("hnsw")

    def remove(self, ids: Iterable[int]) -> int:
        """Remove ids (unknown ids are ignored); returns how many were removed."""
        with self._lock:
            index = self._require()
            gone = [k for k in _ids(ids).tolist() if k in self]
            if not gone:
                return 0
            if self._kind == "flat":
                index.remove_ids(np.asarray(gone, dtype=np.int64))
                self._stored.difference_update(gone)
            else:
                self._tombstones.update(gone)
                if len(self._tombstones) > self.compact_ratio * len(self._stored):
                    self._rebuild("flat" if len(self) <= self.hnsw_threshold // 2 else "hnsw")
            self._changed()
            return len(gone)

    def compact(self) -> int:
        """Rebuild without the tombstones an HNSW index keeps for removed ids, so a removed
        vector is gone from memory now and from disk at the next ``save()`` (a hard delete);
        returns how many went. A flat index never holds tombstones."""
        with self._lock:
            self._require()
            gone = len(self._tombstones)
            if gone:
                self._rebuild("flat" if len(self) <= self.hnsw_threshold // 2 else "hnsw")
            return gone

    def _changed(self) -> None:
        self._live_cache = None
        self._dirty = True

    def _rebuild(self, kind: IndexKind) -> None:
        self._live_cache = None
        live = self.ids()
        vectors = self._index.reconstruct_batch(live) if live.size else None
        log.info("Rebuilding the vector index as %s with %d vectors.", kind, live.size)
        self._reset(kind)
        if vectors is not None:
            self._index.add_with_ids(vectors, live)
            self._stored = set(live.tolist())
        self._changed()

    # ---- search ----------------------------------------------------------------------
    def search(self, query: Any, k: int = 10, *,
               allowed_ids: Iterable[int] | None = None) -> list[VectorHit]:
        """The ``k`` nearest live vectors to ``query``, only among ``allowed_ids`` when given."""
        q = self._vectors(query, rows=1)
        with self._lock:
            self._require()
            if k < 1 or len(self) == 0:
                return []
            if allowed_ids is None:
                if not self._tombstones:
                    return self._faiss_search(q, k, None, min(k, len(self)))
                dead = _selector(np.sort(np.fromiter(self._tombstones, dtype=np.int64)))
                return self._faiss_search(q, k, _faiss().IDSelectorNot(dead), min(k, len(self)), dead)
            allowed = self._live_subset(_ids(allowed_ids))
            if allowed.size == len(self):
                return self.search(q, k)
            if allowed.size <= self.exact_below:
                return self._brute_force(q, k, allowed)
            return self._faiss_search(q, k, _selector(allowed), min(k, allowed.size),
                                      fallback=allowed)

    def _live_subset(self, ids: np.ndarray) -> np.ndarray:
        """The sorted distinct ids of ``ids`` that are live here."""
        ids, live = _sorted_unique(ids), self.ids()
        if not live.size:
            return live
        pos = np.minimum(np.searchsorted(live, ids), live.size - 1)
        return ids[live[pos] == ids]

    def _faiss_search(self, q: np.ndarray, k: int, selector: Any, expected: int,
                      *keep_alive: Any, fallback: np.ndarray | None = None) -> list[VectorHit]:
        faiss = _faiss()
        ef = max(self.ef_search, k)
        for _ in range(3):
            if self._kind == "hnsw":
                params = faiss.SearchParametersHNSW()
                params.efSearch = ef
            else:
                params = faiss.SearchParameters()
            if selector is not None:
                params.sel = selector
            scores, labels = self._index.search(q, k, params=params)
            hits = [VectorHit(int(i), float(s)) for i, s in zip(labels[0], scores[0], strict=True)
                    if i >= 0]
            if len(hits) >= expected or self._kind == "flat":
                return hits
            ef *= 4
        return self._brute_force(q, k, self.ids() if fallback is None else fallback)

    def _brute_force(self, q: np.ndarray, k: int, candidates: np.ndarray) -> list[VectorHit]:
        if not candidates.size:
            return []
        scores = self._index.reconstruct_batch(candidates) @ q[0]
        top = np.argsort(-scores, kind="stable")[:k]
        return [VectorHit(int(candidates[i]), float(scores[i])) for i in top]

    # ---- consistency -----------------------------------------------------------------
    def check(self, expected_ids: Iterable[int]) -> Consistency:
        """Compare the live ids with the ids the database says should be here."""
        expected = _sorted_unique(_ids(expected_ids))
        with self._lock:
            self._require()
            live = self.ids()
            return Consistency(
                missing=tuple(np.setdiff1d(expected, live, assume_unique=True).tolist()),
                extra=tuple(np.setdiff1d(live, expected, assume_unique=True).tolist()))

    def repair(self, expected_ids: Iterable[int],
               vectors_for: Callable[[Sequence[int]], Any], *, batch_size: int = 512) -> Consistency:
        """Remove extra ids, add missing ones (``vectors_for(ids)`` gives their vectors), save.

        Returns what was wrong before the repair.
        """
        with self._lock:
            report = self.check(expected_ids)
            if report.extra:
                self.remove(report.extra)
            for start in range(0, len(report.missing), batch_size):
                batch = list(report.missing[start : start + batch_size])
                self.add(batch, self._vectors(vectors_for(batch), rows=len(batch)))
            if not report.ok or self._dirty or not self.sidecar_ok:
                self.save()
            return report


def _selector(ids: np.ndarray) -> Any:
    """A FAISS id selector for a sorted array of non-negative ids."""
    faiss = _faiss()
    if ids.size and int(ids[-1]) < _BITMAP_MAX_ID:
        bits = np.zeros(int(ids[-1]) + 1, dtype=bool)
        bits[ids] = True
        bitmap = np.packbits(bits, bitorder="little")
        selector = faiss.IDSelectorBitmap(bitmap.size, faiss.swig_ptr(bitmap))
        selector.referenced_bitmap = bitmap  # the selector only points at it
        return selector
    ids = np.ascontiguousarray(ids, dtype=np.int64)
    return faiss.IDSelectorBatch(ids.size, faiss.swig_ptr(ids))  # copies the ids
