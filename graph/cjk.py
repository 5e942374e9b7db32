"""Helpers for Chinese/Japanese/Korean text: script detection and a quiet, cached jieba."""

from __future__ import annotations

import logging
import os
import re
import tempfile
from functools import lru_cache
from pathlib import Path

from graph.errors import require

# CJK ideographs (incl. extension A and compatibility), kana, hangul.
CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")


def has_cjk(text: str) -> bool:
    return CJK_CHAR.search(text) is not None


def cjk_ratio(text: str) -> float:
    """Share of CJK characters among the non-space characters of ``text``."""
    visible = sum(1 for ch in text if not ch.isspace())
    return len(CJK_CHAR.findall(text)) / visible if visible else 0.0


def default_cache_dir() -> Path:
    """Where congming keeps rebuildable caches (jieba's prefix dictionary)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "congming"


def _writable_dir(path: Path) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
        if os.access(path, os.W_OK):
            return path
    except OSError:
        pass
    return Path(tempfile.gettempdir())


def new_jieba_tokenizer(cache_dir: str | None = None):
    """A new jieba Tokenizer whose cache lives in ``cache_dir`` and which logs only warnings.
    Use this one (not the shared one) to add words of your own."""
    jieba = require("jieba", "knowledge", "Chinese word segmentation")
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.tmp_dir = str(_writable_dir(Path(cache_dir) if cache_dir else default_cache_dir()))
    tokenizer.initialize()
    return tokenizer


def new_jieba_pos_tokenizer(cache_dir: str | None = None):
    """A new jieba part-of-speech tokenizer (``.cut`` yields pairs with ``.word``, ``.flag``)."""
    posseg = require("jieba.posseg", "knowledge", "Chinese part-of-speech tagging")
    return posseg.POSTokenizer(new_jieba_tokenizer(cache_dir))


@lru_cache(maxsize=4)
def jieba_tokenizer(cache_dir: str | None = None):
    """The shared jieba Tokenizer for ``cache_dir``, built once per process. Do not add words."""
    return new_jieba_tokenizer(cache_dir)


@lru_cache(maxsize=4)
def jieba_pos_tokenizer(cache_dir: str | None = None):
    """The shared part-of-speech tokenizer for ``cache_dir``. Do not add words."""
    posseg = require("jieba.posseg", "knowledge", "Chinese part-of-speech tagging")
    return posseg.POSTokenizer(jieba_tokenizer(cache_dir))
