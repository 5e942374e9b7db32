"""BaseLLM helpers (stop strings, message checks) and the backend registry."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.errors import ConfigError, InputError
from agent.llm import BACKENDS, create_llm
from agent.llm.base import BaseLLM, ChatMessage, cut_at_stop, validate_messages
from agent.settings import LLMSettings


def cut(pieces: list[str], stops: list[str]) -> str:
    return "".join(cut_at_stop(iter(pieces), stops))


def expected_cut(text: str, stops: list[str]) -> str:
    """Text before the stop string that is complete first (ends earliest; longest on a tie)."""
    found = [(i + len(s), i) for s in stops if s and (i := text.find(s)) >= 0]
    return text[: min(found)[1]] if found else text


def test_no_stop_passes_everything_through():
    assert cut(["Hello", ", ", "world"], []) == "Hello, world"
    assert cut(["Hello", ", ", "world"], [""]) == "Hello, world"
    assert cut(["Hello", ", ", "world"], ["zzz"]) == "Hello, world"


def test_stop_inside_one_piece():
    assert cut(["Hello. User: hi"], ["User:"]) == "Hello. "


def test_stop_split_across_pieces():
    assert cut(["Hello. Us", "e", "r: hi"], ["User:"]) == "Hello. "
    assert cut(["A", "B", "C", "D"], ["BC"]) == "A"


def test_partial_stop_that_never_completes_is_released():
    assert cut(["Hello. Us", "ed it"], ["User:"]) == "Hello. Used it"
    assert cut(["end with Us"], ["User:"]) == "end with Us"


def test_text_before_a_split_stop_is_not_held_back_longer_than_needed():
    pieces = cut_at_stop(iter(["abcdef", "ghij"]), ["XYZ"])
    assert next(pieces) == "abcd"  # all but len("XYZ") - 1 characters come out at once


def test_overlapping_stops_cut_at_the_one_complete_first():
    assert cut(["xabcd"], ["bcd", "abc"]) == "x"
    assert cut(["ab", "cdef"], ["abcdef", "cd"]) == "ab"
    assert cut(["abcdef"], ["abcdef", "cd"]) == "ab"


def test_stop_at_the_very_start_gives_nothing():
    assert list(cut_at_stop(iter(["</s>more"]), ["</s>"])) == []


def test_stopping_closes_the_source_generator():
    closed = []

    def source():
        try:
            yield from ["one ", "STOP", " never"]
        finally:
            closed.append(True)

    assert "".join(cut_at_stop(source(), ["STOP"])) == "one "
    assert closed == [True]


@given(
    text=st.text(alphabet="ab\n ", max_size=30),
    stops=st.lists(st.text(alphabet="ab\n ", max_size=4), max_size=3),
    cuts=st.lists(st.integers(min_value=0, max_value=30), max_size=6),
)
def test_result_does_not_depend_on_how_the_text_is_split(text, stops, cuts):
    bounds = sorted({0, len(text), *(c for c in cuts if c <= len(text))})
    pieces = [text[a:b] for a, b in pairwise(bounds)]
    assert cut(pieces, stops) == expected_cut(text, stops)


def test_validate_messages_accepts_chat_messages():
    messages = [ChatMessage("system", "Be brief."), ChatMessage("user", "Hi")]
    assert validate_messages(messages) == messages
    assert validate_messages(tuple(messages)) == messages


@pytest.mark.parametrize(
    ("messages", "message_part"),
    [
        ([], "at least one"),
        ([ChatMessage("robot", "hi")], "role 'robot'"),
        ([ChatMessage("user", None)], "must be text"),
        ([ChatMessage("user", "ok"), {"role": "user", "content": "hi"}], "Message 1 is dict"),
    ],
)
def test_validate_messages_rejects_bad_input(messages, message_part):
    with pytest.raises(InputError, match=message_part):
        validate_messages(messages)


def test_unknown_backend_is_a_config_error():
    with pytest.raises(ConfigError, match="choose one of"):
        create_llm(LLMSettings(backend="nonsense"))


def test_langchain_by_name_explains_how_to_pass_a_model():
    with pytest.raises(ConfigError, match="LangChainLLM"):
        create_llm(LLMSettings(backend="langchain"))


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_every_registered_backend_builds_without_loading(name, tmp_path):
    # Paths that do not exist and a port nothing listens on: building must touch neither.
    settings = LLMSettings(backend=name, model=str(tmp_path / "absent"), threads=1,
                           base_url="http://127.0.0.1:9/v1")
    llm = create_llm(settings)
    assert isinstance(llm, BaseLLM)
    assert llm.name == name
