"""The token estimate used where no tokenizer is at hand (OpenAI-compatible, LangChain)."""

from __future__ import annotations

import pytest

from agent.llm.base import ChatMessage
from agent.llm.estimate import (
    MESSAGE_OVERHEAD,
    REPLY_OVERHEAD,
    estimate_message_tokens,
    estimate_tokens,
)


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("", 0),
        ("你好世界", 4),  # one per CJK character
        ("hello world", 3),  # ceil(11 chars / 4)
        ("a b c d e", 5),  # never fewer than the words
        ("2718281828", 10),  # each digit
        ("我有 3 个苹果.", 8),  # 5 CJK + space before a digit + digit + mark
    ],
)
def test_estimate_tokens(text, tokens):
    assert estimate_tokens(text) == tokens


def test_each_message_adds_its_overhead():
    assert estimate_message_tokens([]) == REPLY_OVERHEAD
    assert estimate_message_tokens(["", "hello world"]) == 2 * MESSAGE_OVERHEAD + 3 + REPLY_OVERHEAD


@pytest.mark.model
@pytest.mark.parametrize(
    "text",
    [
        "The quick brown fox jumps over the lazy dog. It was not amused, and said so at length.",
        "def area(r):\n    return 3.14159 * r ** 2  # circle, radius in metres",
        "Meeting on 2024-03-15 at 14:30 in room B-204; bring 3 copies of the Q1 report.",
        "See https://example.com/docs?page=2&lang=en for the details of the new API.",
    ],
    ids=["prose", "code", "dates-and-numbers", "url"],
)
def test_estimate_is_not_below_a_real_tokenizer_for_latin_text(packaged_llm, text):
    messages = [ChatMessage("system", "You are a helpful assistant."), ChatMessage("user", text)]
    assert estimate_message_tokens(m.content for m in messages) >= packaged_llm.count_tokens(messages)
