"""congming as a drop-in OpenAI endpoint: the official `openai` client against the real server
(uvicorn on a free 127.0.0.1 port). The agent is real; its LLM the FakeLLM answering from the
evidence it is given, so what a user gets back shows what retrieval let it see."""

from __future__ import annotations

import re

import httpx
import pytest

from agent.server import create_app
from tests.server_support import (
    KEY_ALICE,
    KEY_APP,
    KEY_BOB,
    ServerThread,
    make_agent,
    server_settings,
)

openai = pytest.importorskip("openai")
pytest.importorskip("uvicorn")

LOCKER_QUESTION = "What is the locker code?"


@pytest.fixture
def running(settings):
    """(base_url, FakeLLM) of a running server with max_request_bytes = 4096."""
    agent, llm = make_agent(server_settings(settings, max_request_bytes=4096))
    with ServerThread(create_app(settings, agent)) as server:
        yield server.base_url, llm
    agent.close()


def client_for(base_url: str, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key=key, max_retries=0, timeout=60)


def ingest(base_url: str, key: str, text: str, source: str, user: str | None = None) -> None:
    params = {"user": user} if user else {}
    response = httpx.post(f"{base_url}/documents", json={"text": text, "source": source}, params=params,
                          headers={"Authorization": f"Bearer {key}"}, timeout=60)
    assert response.status_code == 200, response.text


def ask(client: openai.OpenAI, text: str, model: str = "congming", **extra):
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": text}], **extra)


def test_models_and_a_plain_completion(running):
    base_url, _ = running
    client = client_for(base_url, KEY_ALICE)
    assert [model.id for model in client.models.list()] == ["congming"]
    assert client.models.retrieve("congming").id == "congming"
    ingest(base_url, KEY_ALICE, "Alice's locker code is 4417. The gym opens at six.", "gym.md")
    completion = ask(client, LOCKER_QUESTION)
    message = completion.choices[0].message
    assert "4417" in message.content and completion.choices[0].finish_reason == "stop"
    assert message.model_extra["reasoning_content"] == "Evidence [1] answers this."
    assert completion.model_extra["citations"][0]["number"] == 1
    assert completion.model_extra["congming"]["user"] == "alice"
    assert completion.usage.completion_tokens > 0


def test_a_streamed_completion_ends_with_the_same_final_text(running):
    base_url, _ = running
    client = client_for(base_url, KEY_ALICE)
    ingest(base_url, KEY_ALICE, "Alice's locker code is 4417. The gym opens at six.", "gym.md")
    content, reasoning, finish, usage = [], [], None, None
    for chunk in ask(client, LOCKER_QUESTION, stream=True, stream_options={"include_usage": True}):
        if chunk.usage is not None:
            usage = chunk.usage
        for choice in chunk.choices:
            content.append(choice.delta.content or "")
            reasoning.append((choice.delta.model_extra or {}).get("reasoning_content") or "")
            finish = choice.finish_reason or finish
    assert finish == "stop" and usage.completion_tokens > 0
    assert "".join(reasoning).strip() == "Evidence [1] answers this."
    again = ask(client, LOCKER_QUESTION).choices[0].message.content  # may also cite the remembered turn
    assert re.sub(r"\s*(\[\d+\])+", "", "".join(content)) == re.sub(r"\s*(\[\d+\])+", "", again)
    assert "4417" in "".join(content)


def test_temperature_and_max_tokens_apply_to_that_request_only(running, settings):
    base_url, llm = running
    client = client_for(base_url, KEY_ALICE)
    ingest(base_url, KEY_ALICE, "Alice's locker code is 4417. The gym opens at six.", "gym.md")
    ask(client, LOCKER_QUESTION, temperature=1.3, max_tokens=7)
    streamed = ask(client, LOCKER_QUESTION, stream=True, max_completion_tokens=10 ** 6)  # the server caps it
    assert "4417" in "".join(choice.delta.content or "" for chunk in streamed for choice in chunk.choices)
    ask(client, LOCKER_QUESTION)
    asked = [(o.temperature, o.max_tokens) for o in llm.options]
    assert asked[0] == (1.3, 7)
    assert asked[1:] == [(settings.llm.temperature, settings.llm.max_tokens)] * 2
    with pytest.raises(openai.BadRequestError) as refused:
        ask(client, LOCKER_QUESTION, temperature=2.5)
    assert refused.value.status_code == 400 and len(llm.options) == 3


def test_a_wrong_key_raises_the_clients_authentication_error(running):
    base_url, _ = running
    with pytest.raises(openai.AuthenticationError) as failed:
        ask(client_for(base_url, "sk-not-a-key-at-all"), "Hello.")
    assert failed.value.status_code == 401 and failed.value.code == "invalid_api_key"
    with pytest.raises(openai.AuthenticationError):
        client_for(base_url, "sk-not-a-key-at-all").models.list()


def test_an_oversized_request_raises_a_413_status_error(running):
    base_url, llm = running
    with pytest.raises(openai.APIStatusError) as failed:
        ask(client_for(base_url, KEY_ALICE), "a very long message " * 400)
    assert failed.value.status_code == 413 and failed.value.code == "request_too_large"
    with pytest.raises(openai.NotFoundError) as refused:
        ask(client_for(base_url, KEY_ALICE), "hello", model="gpt-4o-mini")
    assert refused.value.code == "model_not_found" and "congming" in refused.value.message
    assert llm.prompts == []


def test_two_users_never_see_each_others_documents_or_conversation(running):
    base_url, llm = running
    alice, bob = client_for(base_url, KEY_ALICE), client_for(base_url, KEY_BOB)
    ingest(base_url, KEY_ALICE, "Alice's locker code is 4417.", "locker.md")
    ingest(base_url, KEY_BOB, "Bob's locker code is 9921.", "locker.md")
    from_alice = ask(alice, LOCKER_QUESTION).choices[0].message.content
    from_bob = ask(bob, LOCKER_QUESTION).choices[0].message.content
    assert "4417" in from_alice and "9921" not in from_alice
    assert "9921" in from_bob and "4417" not in from_bob

    shared = {"X-Session-Id": "same-session-name"}
    ask(alice, "Remember that my bike lock combination is 7302.", extra_headers=shared)
    seen_before = len(llm.prompts)
    ask(bob, "What is my bike lock combination?", extra_headers=shared)
    assert all("7302" not in m.content for prompt in llm.prompts[seen_before:] for m in prompt)

    with pytest.raises(openai.PermissionDeniedError):
        ask(alice, LOCKER_QUESTION, user="bob")

    told = alice.post("/memories", body={"text": "I live in Hangzhou."}, cast_to=httpx.Response)
    assert "Hangzhou" in told.json()["data"][0]["text"]
    assert bob.get("/memories", cast_to=httpx.Response).json()["data"] == []
    assert "Hangzhou" not in ask(bob, "Where do I live?").choices[0].message.content


def test_a_multi_user_key_keeps_its_users_apart_with_the_user_field(running):
    base_url, _ = running
    app = client_for(base_url, KEY_APP)
    ingest(base_url, KEY_APP, "Ann's locker code is 5150.", "locker.md", user="ann")
    for_ann = ask(app, LOCKER_QUESTION, user="ann")
    for_ben = ask(app, LOCKER_QUESTION, user="ben")
    assert "5150" in for_ann.choices[0].message.content
    assert for_ann.model_extra["congming"]["user"] == "app:ann"
    assert "5150" not in for_ben.choices[0].message.content
    assert for_ben.model_extra["congming"]["action"] == "no_evidence"


def test_a_client_that_hangs_up_mid_stream_leaves_the_server_serving(running):
    base_url, _ = running
    ingest(base_url, KEY_ALICE, "Alice's locker code is 4417.", "locker.md")
    client = client_for(base_url, KEY_ALICE)
    stream = ask(client, LOCKER_QUESTION, stream=True)
    first = next(iter(stream))
    assert first.choices[0].delta.role == "assistant"
    stream.close()
    assert ask(client, "Hello there.").choices[0].finish_reason == "stop"
