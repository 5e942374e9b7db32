"""The OpenAI-compatible backend against the stub server: requests, streaming, errors."""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr

from agent.errors import BackendUnavailableError, ConfigError
from agent.llm.base import ChatMessage, GenerationOptions
from agent.llm.openai_compat import OpenAICompatibleLLM, _delta_texts, _sse_data
from agent.settings import LLMSettings
from tests.stub_openai_server import StubOpenAIServer

HELLO = [ChatMessage("system", "Be brief."), ChatMessage("user", "Say hello to the whole world")]


def test_request_carries_the_options(openai_stub):
    llm = OpenAICompatibleLLM(openai_stub.base_url, "stub-model", seed=7)
    schema = {"title": "A reply!", "type": "object", "properties": {"ok": {"type": "boolean"}}}
    stops = ("\n\n", "User:", "###", "END", "fifth")
    llm.complete(HELLO, GenerationOptions(max_tokens=9, temperature=0.3, stop=stops,
                                          json_schema=schema))
    (body,) = openai_stub.chat_requests()
    assert body["model"] == "stub-model"
    assert body["messages"] == [m.as_dict() for m in HELLO]
    assert body["stream"] is True
    assert (body["max_tokens"], body["temperature"], body["seed"]) == (9, 0.3, 7)
    assert body["stop"] == list(stops[:4])
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "A_reply", "schema": schema, "strict": True},
    }


def test_options_seed_wins_and_unused_options_are_left_out(openai_stub):
    llm = OpenAICompatibleLLM(openai_stub.base_url, "stub-model")
    llm.complete(HELLO, GenerationOptions(max_tokens=3))
    llm.complete(HELLO, GenerationOptions(max_tokens=3, seed=42))
    first, second = openai_stub.chat_requests()
    assert not {"seed", "stop", "response_format"} & set(first)
    assert second["seed"] == 42


def test_streams_the_reply_and_honours_server_side_limits(openai_stub):
    llm = OpenAICompatibleLLM(openai_stub.base_url, "stub-model")
    pieces = list(llm.stream(HELLO, GenerationOptions(max_tokens=4)))
    assert pieces == ["Echo", ":", " Say", " hello"]
    assert llm.complete(HELLO, GenerationOptions(stop=("whole",))) == "Echo: Say hello to the "


def test_no_model_set_uses_the_first_the_server_lists(openai_stub):
    openai_stub.models = ["first-model", "second-model"]
    llm = OpenAICompatibleLLM(openai_stub.base_url)
    assert llm.complete(HELLO, GenerationOptions(max_tokens=2)) == "Echo:"
    assert llm.model == "first-model"
    assert [r.path for r in openai_stub.requests] == ["/v1/models", "/v1/chat/completions"]


def test_server_listing_no_models_needs_a_model_name(openai_stub):
    openai_stub.models = []
    with pytest.raises(ConfigError, match="CONGMING_LLM__MODEL"):
        OpenAICompatibleLLM(openai_stub.base_url).open()


def test_api_key_is_sent_as_bearer_token(openai_stub):
    openai_stub.api_key = "sk-test"
    llm = OpenAICompatibleLLM(openai_stub.base_url, "stub-model", api_key="sk-test")
    assert llm.complete(HELLO, GenerationOptions(max_tokens=2)) == "Echo:"
    assert {r.headers.get("Authorization") for r in openai_stub.requests} == {"Bearer sk-test"}


def test_server_error_message_is_passed_on(openai_stub):
    llm = OpenAICompatibleLLM(openai_stub.base_url, "stub-model")
    openai_stub.fail_next = (500, "CUDA out of memory")
    with pytest.raises(BackendUnavailableError, match=r"500.*CUDA out of memory"):
        llm.complete(HELLO)
    assert llm.complete(HELLO, GenerationOptions(max_tokens=2)) == "Echo:"


def test_base_url_without_v1_gets_a_hint(openai_stub):
    llm = OpenAICompatibleLLM(openai_stub.base_url.removesuffix("/v1"), "stub-model")
    with pytest.raises(BackendUnavailableError, match="/v1"):
        llm.open()


def test_a_server_too_slow_to_answer_times_out():
    server = StubOpenAIServer(delay_s=2.0).start()
    try:
        llm = OpenAICompatibleLLM(server.base_url, "stub-model", timeout_s=0.2)
        with pytest.raises(BackendUnavailableError, match=r"timed out.*CONGMING_LLM__TIMEOUT_S"):
            llm.complete(HELLO)
    finally:
        server.stop()


def test_from_settings_maps_every_field():
    settings = LLMSettings(backend="openai", base_url="http://host:8000/v1/", model="m",
                           api_key=SecretStr("k"), timeout_s=3.0, n_ctx=8192, seed=5)
    llm = OpenAICompatibleLLM.from_settings(settings)
    assert (llm.base_url, llm.model, llm.api_key) == ("http://host:8000/v1", "m", "k")
    assert (llm.timeout_s, llm.capabilities.max_context, llm.seed) == (3.0, 8192, 5)


def test_sse_parsing_joins_multiline_data_and_skips_comments():
    lines = [": keep-alive", "event: message", "data: {\"a\":", "data: 1}", "", "", "data:[DONE]"]
    assert list(_sse_data(lines)) == ['{"a":\n1}', "[DONE]"]


def test_delta_texts_stop_at_done_and_raise_on_error_events():
    events = ['{"choices":[{"delta":{"role":"assistant"}}]}',
              '{"choices":[{"delta":{"content":"Hi"}}]}', "[DONE]",
              '{"choices":[{"delta":{"content":"never"}}]}']
    assert list(_delta_texts(events, "http://x")) == ["Hi"]
    with pytest.raises(BackendUnavailableError, match="overloaded"):
        list(_delta_texts(['{"error": {"message": "overloaded"}}'], "http://x"))
    with pytest.raises(BackendUnavailableError, match="not JSON"):
        list(_delta_texts(["<html>"], "http://x"))


def test_stub_answers_without_streaming_too(openai_stub):
    body = {"model": "stub-model", "messages": [{"role": "user", "content": "one two three"}],
            "max_tokens": 3}
    reply = httpx.post(openai_stub.base_url + "/chat/completions", json=body).json()
    choice = reply["choices"][0]
    assert choice["message"] == {"role": "assistant", "content": "Echo: one"}
    assert choice["finish_reason"] == "length"
    assert reply["usage"]["completion_tokens"] == 3


def test_a_server_that_is_not_openai_compatible_is_named(openai_stub):
    openai_stub.models_body = b"<html>It works!</html>"
    with pytest.raises(BackendUnavailableError, match="OpenAI model list"):
        OpenAICompatibleLLM(openai_stub.base_url).open()
