"""Crash-safe files for the vector index: atomic replace, the sidecar, leftovers."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np

SIDECAR_FORMAT = 1


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + ".meta.json")


def ids_checksum(ids: np.ndarray) -> str:
    """Order-independent checksum of a set of int64 ids."""
    ordered = np.sort(np.asarray(ids, dtype="<i8"))
    return hashlib.sha256(ordered.tobytes()).hexdigest()


def temp_path(path: Path) -> Path:
    return path.with_name(f"{path.name}.{uuid.uuid4().hex}.tmp")


def remove_leftovers(path: Path) -> list[Path]:
    """Delete temp files a crashed save left next to ``path`` (its own and its sidecar's)."""
    removed = []
    for pattern in (f"{path.name}.*.tmp", f"{sidecar_path(path).name}.*.tmp"):
        for stray in path.parent.glob(pattern):
            with contextlib.suppress(FileNotFoundError):
                stray.unlink()
                removed.append(stray)
    return removed


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(directory: Path) -> None:
    if os.name != "posix":  # directories cannot be opened for fsync on Windows
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_temp(path: Path, writer: Callable[[Path], None]) -> Path:
    """Write a sibling temp file with ``writer`` and fsync it; the caller renames it."""
    tmp = temp_path(path)
    try:
        writer(tmp)
        fsync_file(tmp)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    return tmp


def write_json(tmp: Path, data: dict) -> None:
    tmp.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")


def read_sidecar(path: Path) -> dict | None:
    """The sidecar's contents, or None when it is missing, unreadable or of another format."""
    try:
        data = json.loads(sidecar_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != SIDECAR_FORMAT:
        return None
    return data


def quarantine(path: Path) -> Path:
    """Move an unreadable index (and its sidecar) aside, so a fresh one can be rebuilt."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    os.replace(path, target)
    with contextlib.suppress(FileNotFoundError):
        os.replace(sidecar_path(path), sidecar_path(target))
    return target
