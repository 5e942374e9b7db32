"""Token estimates for backends that cannot count with the model's own tokenizer.

The heuristic errs on the high side, so a context check built on it fails early rather
than overflowing the server's window:

- each CJK character (Han, kana, Hangul) counts as one token;
- other text counts as ``ceil(chars / 4)`` tokens, but never fewer than its number of
  words, digits and punctuation marks (short words, each digit, a space before a digit
  and each symbol are about a token each in common tokenizers);
- each message adds ``MESSAGE_OVERHEAD`` tokens for its role and separators, and the
  prompt adds ``REPLY_OVERHEAD`` for the assistant turn the model starts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

MESSAGE_OVERHEAD = 6
REPLY_OVERHEAD = 3

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_WORD_DIGIT_OR_MARK = re.compile(r"\s(?=\d)|\d|[^\W\d]+|[^\w\s]")


def estimate_tokens(text: str) -> int:
    """A conservative token count for ``text`` (see the module docstring)."""
    cjk = len(_CJK.findall(text))
    words = len(_WORD_DIGIT_OR_MARK.findall(_CJK.sub(" ", text)))
    return cjk + max(math.ceil((len(text) - cjk) / 4), words)


def estimate_message_tokens(contents: Iterable[str]) -> int:
    """A conservative token count for a chat prompt made of these message contents."""
    return sum(estimate_tokens(c) + MESSAGE_OVERHEAD for c in contents) + REPLY_OVERHEAD
