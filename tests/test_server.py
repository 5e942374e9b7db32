"""The HTTP API through FastAPI's TestClient: auth, errors, size limits, chat (plain and
streamed), sessions, documents and user isolation. The agent is real; its LLM is the
scripted FakeLLM answering from the evidence it is given, its embedder the hash one."""

from __future__ import annotations

import re

import pytest

from agent.errors import ConfigError
from agent.llm.fake import fake_tokens
from agent.server import create_app
from agent.settings import Settings
from tests.server_support import (
    KEY_ALICE,
    KEY_APP,
    KEY_BOB,
    evidence_reply,
    make_agent,
    server_settings,
    sse_data,
)

fastapi_testclient = pytest.importorskip("fastapi.testclient")

LIN = "My sister Lin lives in Hangzhou. She works at Alibaba as an engineer."
MADE_UP = "Reasoning: I recall it. Answer: Lin lives in Reykjavik and breeds Icelandic horses since 1987."
CHAT = "/v1/chat/completions"


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def ask(text: str, **extra) -> dict:
    return {"model": "congming", "messages": [{"role": "user", "content": text}], **extra}


@pytest.fixture
def serve(settings):
    """serve(replies=..., **server settings) -> (TestClient, FakeLLM), the app's lifespan running."""
    opened = []

    def start(replies=(evidence_reply,), **server):
        agent, llm = make_agent(server_settings(settings, **server), replies)
        client = fastapi_testclient.TestClient(create_app(settings, agent))
        client.__enter__()
        opened.append((client, agent))
        return client, llm

    yield start
    for client, agent in opened:
        client.__exit__(None, None, None)
        agent.close_memory()
        agent.close()


def ingest(client, key: str, text: str = LIN, source: str = "lin.md", **params) -> dict:
    response = client.post("/v1/documents", json={"text": text, "source": source, "title": "Lin"},
                           headers=auth(key), params=params)
    assert response.status_code == 200, response.text
    return response.json()


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"} and error["message"]
    if code is not None:
        assert error["code"] == code
    return error


# ---- auth ---------------------------------------------------------------------------------

def test_requests_without_a_valid_key_are_refused_with_an_openai_error(serve):
    client, _ = serve()
    missing = client.get("/v1/models")
    error = assert_error(missing, 401, "missing_api_key")
    assert error["type"] == "authentication_error" and "Authorization: Bearer" in error["message"]
    assert missing.headers["www-authenticate"] == "Bearer"
    assert_error(client.get("/v1/models", headers=auth("sk-wrong-0123456789")), 401, "invalid_api_key")
    assert_error(client.post(CHAT, json=ask("hi"), headers={"Authorization": KEY_ALICE}), 401)
    models = client.get("/v1/models", headers=auth(KEY_ALICE))
    assert models.status_code == 200
    assert models.json()["object"] == "list" and [m["id"] for m in models.json()["data"]] == ["congming"]
    assert client.get("/health").json() == {"status": "ok"}


def test_a_single_user_key_cannot_name_another_user(serve):
    client, _ = serve()
    error = assert_error(client.post(CHAT, json=ask("hi", user="bob"), headers=auth(KEY_ALICE)), 403,
                         "user_not_allowed")
    assert "alice" in error["message"] and "multi_user" in error["message"]
    assert_error(client.get("/v1/documents", params={"user": "bob"}, headers=auth(KEY_ALICE)), 403)
    same = client.post(CHAT, json=ask("Hello there.", user="alice"), headers=auth(KEY_ALICE))
    assert same.status_code == 200 and same.json()["congming"]["user"] == "alice"


def test_without_keys_the_server_only_listens_on_loopback(settings):
    settings.server = settings.server.model_copy(update={"host": "0.0.0.0"})
    with pytest.raises(ConfigError, match="api_keys"):
        create_app(settings)


def test_without_keys_requests_act_as_the_local_user_and_may_name_sub_users(serve):
    client, _ = serve(keys=[])
    ingest(client, "ignored", user="ann")
    assert [d["source"] for d in client.get("/v1/documents", params={"user": "ann"}).json()["data"]] == [
        "lin.md"]
    assert client.get("/v1/documents").json()["data"] == []
    reply = client.post(CHAT, json=ask("Hello.", user="ann")).json()
    assert reply["congming"]["user"] == "local:ann"


def test_api_keys_come_from_the_environment_as_a_mapping(clean_env):
    clean_env.setenv("CONGMING_SERVER__API_KEYS", '{"sk-alice-123456": "alice"}')
    keys = Settings.load().server.api_keys
    assert [(k.key.get_secret_value(), k.user, k.multi_user) for k in keys] == [
        ("sk-alice-123456", "alice", False)]
    with pytest.raises(ConfigError, match="same key twice"):
        Settings.load(server={"api_keys": [{"key": "sk-a-1234567", "user": "a"},
                                           {"key": "sk-a-1234567", "user": "b"}]})
    with pytest.raises(ConfigError, match="without ':'"):
        Settings.load(server={"api_keys": {"sk-a-1234567": "app:ann"}})


# ---- chat ---------------------------------------------------------------------------------

def test_a_chat_completion_is_the_verified_answer_with_reasoning_and_citations(serve):
    client, llm = serve()
    ingest(client, KEY_ALICE)
    response = client.post(CHAT, json=ask("Where does Lin live?"), headers=auth(KEY_ALICE))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["object"] == "chat.completion" and body["model"] == "congming"
    assert body["id"].startswith("chatcmpl-") and isinstance(body["created"], int)
    choice = body["choices"][0]
    assert choice["finish_reason"] == "stop" and choice["message"]["role"] == "assistant"
    assert "Hangzhou" in choice["message"]["content"]
    assert choice["message"]["reasoning_content"] == "Evidence [1] answers this."
    assert body["citations"][0]["number"] == 1 and "Hangzhou" in body["citations"][0]["text"]
    assert body["citations"][0]["source"] == "Lin"
    assert body["congming"]["user"] == "alice" and body["congming"]["action"] in ("kept", "annotated")
    usage = body["usage"]  # counted with the model's tokenizer (the fake one: words and marks, +4 a message)
    assert usage["prompt_tokens"] == len(fake_tokens("Where does Lin live?")) + 4
    assert usage["completion_tokens"] == len(fake_tokens(evidence_reply(llm.prompts[-1])))
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def stream_chat(client, payload: dict, key: str = KEY_ALICE, headers: dict | None = None):
    with client.stream("POST", CHAT, json={**payload, "stream": True},
                       headers={**auth(key), **(headers or {})}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        return sse_data(response.iter_lines())


def test_streaming_sends_reasoning_live_then_the_final_answer_and_citations(serve):
    client, _ = serve()
    ingest(client, KEY_ALICE)
    events = stream_chat(client, ask("Where does Lin live?", stream_options={"include_usage": True}))
    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"} and len({c["id"] for c in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    deltas = [c["choices"][0]["delta"] for c in chunks if c["choices"]]
    reasoning = "".join(d.get("reasoning_content", "") for d in deltas)
    content = [d["content"] for d in deltas if d.get("content")]
    assert reasoning.strip() == "Evidence [1] answers this."
    assert len(content) == 1 and "Hangzhou" in content[0]
    final = next(c for c in chunks if c["choices"] and c["choices"][0]["finish_reason"] == "stop")
    assert final["citations"][0]["number"] == 1 and final["congming"]["action"] in ("kept", "annotated")
    usage = chunks[-1]["usage"]
    assert chunks[-1]["choices"] == [] and usage["completion_tokens"] > 0
    assert usage["prompt_tokens"] == len(fake_tokens("Where does Lin live?")) + 4
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    plain = client.post(CHAT, json=ask("Where does Lin live?"), headers=auth(KEY_ALICE)).json()
    # asked again, the answer may also cite the remembered first turn
    assert without_marks(plain["choices"][0]["message"]["content"]) == without_marks(content[0])


def test_a_streamed_draft_the_verifier_rejects_never_reaches_the_client(serve):
    client, _ = serve(replies=[MADE_UP])
    ingest(client, KEY_ALICE)
    events = stream_chat(client, ask("Where does Lin live?"))
    content = "".join(c["choices"][0]["delta"].get("content") or "" for c in events[:-1] if c["choices"])
    final = next(c for c in events[:-1] if c["choices"] and c["choices"][0]["finish_reason"])
    assert final["congming"]["action"] == "abstained"
    assert "Reykjavik" not in content and "don't know" in content


def test_a_turn_that_fails_mid_stream_ends_with_an_error_event(serve):
    def broken(messages):
        raise RuntimeError("the model fell over")

    client, _ = serve(replies=[broken])
    ingest(client, KEY_ALICE)
    events = stream_chat(client, ask("Where does Lin live?"))
    assert events[-1] == "[DONE]" and events[-2]["error"]["type"] == "server_error"
    assert "RuntimeError" in events[-2]["error"]["message"]
    error = assert_error(client.post(CHAT, json=ask("Where does Lin live?"), headers=auth(KEY_ALICE)), 500)
    assert "nothing was remembered" in error["message"]


@pytest.mark.parametrize(("payload", "status", "code", "param"), [
    (ask("hi", model="gpt-4o"), 404, "model_not_found", "model"),
    (ask("hi", n=2), 400, "unsupported_parameter", "n"),
    (ask("hi", tools=[{"type": "function", "function": {"name": "f"}}]), 400, "unsupported_parameter",
     "tools"),
    ({"model": "congming", "messages": [{"role": "user", "content": "hi"},
                                        {"role": "assistant", "content": "hello"}]},
     400, "invalid_messages", "messages"),
    ({"model": "congming", "messages": []}, 400, "invalid_request", "messages"),
    ({"model": "congming"}, 400, "invalid_request", "messages"),
    ({"model": "congming", "messages": [{"role": "wizard", "content": "hi"}]}, 400, "invalid_request", None),
    ({"model": "congming", "messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "data:,"}}]}]}, 400, "unsupported_content", "messages"),
    (ask("   "), 400, "invalid_input", None),
    (ask("x" * 30_000), 400, "invalid_input", None),
])
@pytest.mark.parametrize("streamed", [False, True])
def test_bad_chat_requests_get_clear_json_errors_streamed_or_not(serve, payload, status, code, param,
                                                                streamed):
    client, _ = serve()
    body = {**payload, "stream": True} if streamed else payload
    error = assert_error(client.post(CHAT, json=body, headers=auth(KEY_ALICE)), status, code)
    if param is not None:
        assert error["param"] is not None and error["param"].startswith(param)


def test_unparseable_json_and_unknown_routes_are_openai_errors(serve):
    client, _ = serve()
    json_headers = {**auth(KEY_ALICE), "Content-Type": "application/json"}
    bad = assert_error(client.post(CHAT, content=b'{"model": "congming",\n "messages": [,]}',
                                   headers=json_headers), 400, "invalid_request")
    assert bad["message"].startswith("The request body is not valid JSON: expecting value at line 2, "
                                      "column 15 (character 36).")
    empty = assert_error(client.post(CHAT, content=b"", headers=json_headers), 400, "invalid_request")
    assert empty["message"].startswith("The request body is empty: send a JSON object")
    array = assert_error(client.post(CHAT, content=b"[1, 2]", headers=json_headers), 400, "invalid_request")
    assert array["message"].startswith("The request body must be a JSON object, not an array.")
    plain = client.post(CHAT, content=b'{"model": "congming"}',
                        headers={**auth(KEY_ALICE), "Content-Type": "text/plain"})
    assert "Content-Type: application/json" in assert_error(plain, 400, "invalid_request")["message"]
    assert_error(client.get("/v1/nothing", headers=auth(KEY_ALICE)), 404, "not_found")
    wrong = client.delete("/v1/models", headers=auth(KEY_ALICE))
    assert_error(wrong, 405, "method_not_allowed")
    assert wrong.headers["allow"] == "GET"
    memories = client.put("/v1/memories", headers=auth(KEY_ALICE))  # several routes share the path
    assert assert_error(memories, 405)["code"] == "method_not_allowed"
    assert memories.headers["allow"] == "DELETE, GET, POST"


def test_usage_counts_a_reply_no_model_wrote_in_the_models_tokens(serve):
    client, llm = serve()
    body = client.post(CHAT, json=ask("What is 17 + 25?"), headers=auth(KEY_ALICE)).json()
    assert llm.prompts == [] and body["congming"]["action"] == "computed"
    usage = body["usage"]
    assert usage["prompt_tokens"] == len(fake_tokens("What is 17 + 25?")) + 4
    assert usage["completion_tokens"] == len(fake_tokens(body["choices"][0]["message"]["content"])) > 0
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_text_parts_and_unknown_openai_fields_are_accepted(serve):
    client, _ = serve()
    payload = {"model": "congming", "temperature": 0.3, "max_tokens": 50, "presence_penalty": 0,
               "messages": [{"role": "system", "content": "Be brief."},
                            {"role": "user", "content": [{"type": "text", "text": "Hello there."}]}]}
    response = client.post(CHAT, json=payload, headers=auth(KEY_ALICE))
    assert response.status_code == 200, response.text


# ---- size limits --------------------------------------------------------------------------

def test_oversized_requests_are_refused_with_413_with_or_without_a_length(serve):
    client, llm = serve(max_request_bytes=4096)
    error = assert_error(client.post(CHAT, json=ask("y" * 5000), headers=auth(KEY_ALICE)), 413,
                         "request_too_large")
    assert "4096" in error["message"] and "max_request_bytes" in error["message"]

    def chunked():
        yield b'{"model": "congming", "messages": [{"role": "user", "content": "'
        for _ in range(10):
            yield b"z" * 1000
        yield b'"}]}'

    streamed = client.post(CHAT, content=chunked(), headers={**auth(KEY_ALICE),
                                                              "Content-Type": "application/json"})
    assert_error(streamed, 413, "request_too_large")
    assert llm.prompts == []
    assert client.post(CHAT, json=ask("Hello there."), headers=auth(KEY_ALICE)).status_code == 200


# ---- sessions -----------------------------------------------------------------------------

def test_a_session_header_keeps_working_memory_apart(serve):
    client, llm = serve(replies=["Answer: Nice to meet you."])
    headers = {**auth(KEY_ALICE), "X-Session-Id": "one"}
    client.post(CHAT, json=ask("My favourite colour is teal."), headers=headers)
    client.post(CHAT, json=ask("I like long walks."), headers=headers)
    assert "teal" in "\n".join(m.content for m in llm.prompts[-1])
    client.post(CHAT, json=ask("I like long walks."), headers={**auth(KEY_ALICE), "X-Session-Id": "two"})
    # the turn itself stays in session one (long-term memory may still know the fact)
    assert "My favourite colour is teal." not in "\n".join(m.content for m in llm.prompts[-1])
    client.post(CHAT, json=ask("I like long walks."), headers={**auth(KEY_BOB), "X-Session-Id": "one"})
    assert "teal" not in "\n".join(m.content for m in llm.prompts[-1])
    assert_error(client.post(CHAT, json=ask("hi"), headers={**auth(KEY_ALICE), "X-Session-Id": " "}), 400,
                 "invalid_session")


def test_without_a_header_the_conversation_is_the_session(serve):
    client, llm = serve(replies=["Answer: Nice to meet you."])
    first = {"role": "user", "content": "My favourite colour is teal."}
    one = client.post(CHAT, json={"model": "congming", "messages": [first]}, headers=auth(KEY_ALICE)).json()
    history = [first, {"role": "assistant", "content": one["choices"][0]["message"]["content"]},
               {"role": "user", "content": "I like long walks."}]
    two = client.post(CHAT, json={"model": "congming", "messages": history}, headers=auth(KEY_ALICE)).json()
    assert two["congming"]["session_id"] == one["congming"]["session_id"]
    assert "teal" in "\n".join(m.content for m in llm.prompts[-1])
    # the same first message again, alone, is a new conversation: its working memory starts
    # afresh (long-term memory may know "the user likes long walks" by now; not the turn itself)
    client.post(CHAT, json={"model": "congming", "messages": [first]}, headers=auth(KEY_ALICE))
    assert "I like long walks." not in "\n".join(m.content for m in llm.prompts[-1])


def test_a_restarted_server_takes_a_conversations_working_memory_from_the_resent_history(serve, settings):
    settings.memory.enabled = False  # only the resent history can bring the exchange back
    client, llm = serve(replies=["Answer: Nice to meet you."])  # a server that never saw this conversation
    history = [{"role": "system", "content": "Be brief."},
               {"role": "user", "content": "My favourite colour is teal."},
               {"role": "assistant", "content": "Teal is a calm colour."},
               {"role": "user", "content": "I like long walks."}]
    client.post(CHAT, json={"model": "congming", "messages": history}, headers=auth(KEY_ALICE))
    prompt = "\n".join(m.content for m in llm.prompts[-1])
    assert "My favourite colour is teal." in prompt and "Teal is a calm colour." in prompt
    assert "Be brief." not in prompt  # the agent's own system prompt stays
    history += [{"role": "assistant", "content": "Nice to meet you."},
                {"role": "user", "content": "Thanks."}]
    client.post(CHAT, json={"model": "congming", "messages": history}, headers=auth(KEY_ALICE))
    prompt = "\n".join(m.content for m in llm.prompts[-1])
    assert prompt.count("Teal is a calm colour.") == 1  # the session was live: nothing restored twice
    client.post(CHAT, json={"model": "congming", "messages": history}, headers=auth(KEY_BOB))
    assert "teal" in "\n".join(m.content for m in llm.prompts[-1])  # bob's own copy, in bob's session


# ---- documents and isolation --------------------------------------------------------------

def test_documents_are_ingested_listed_and_forgotten_per_user(serve):
    client, _ = serve()
    outcome = ingest(client, KEY_ALICE)
    assert outcome["status"] == "added" and outcome["chunks"] >= 1 and outcome["document_id"]
    assert ingest(client, KEY_ALICE)["status"] == "unchanged"
    listed = client.get("/v1/documents", headers=auth(KEY_ALICE)).json()["data"]
    assert [(d["id"], d["source"], d["title"]) for d in listed] == [(outcome["document_id"], "lin.md", "Lin")]
    assert client.get("/v1/documents", headers=auth(KEY_BOB)).json()["data"] == []
    assert_error(client.delete(f"/v1/documents/{outcome['document_id']}", headers=auth(KEY_BOB)), 404,
                 "document_not_found")
    gone = client.delete(f"/v1/documents/{outcome['document_id']}", headers=auth(KEY_ALICE))
    assert gone.json() == {"id": outcome["document_id"], "deleted": True}
    assert client.get("/v1/documents", headers=auth(KEY_ALICE)).json()["data"] == []
    assert_error(client.post("/v1/documents", json={"text": "", "source": "x"}, headers=auth(KEY_ALICE)), 400)


def test_files_are_uploaded_as_the_raw_body(serve):
    client, _ = serve()
    upload = client.post("/v1/documents/upload", params={"filename": "notes/lin.md"},
                         content=("# Lin\n\n" + LIN).encode(), headers=auth(KEY_ALICE))
    assert upload.status_code == 200, upload.text
    assert upload.json()["status"] == "added" and upload.json()["source"] == "lin.md"
    titles = [d["title"] for d in client.get("/v1/documents", headers=auth(KEY_ALICE)).json()["data"]]
    assert titles == ["Lin"]
    refused = client.post("/v1/documents/upload", params={"filename": "tool.exe"}, content=b"MZ\x90\x00",
                          headers=auth(KEY_ALICE))
    assert_error(refused, 415, "document_unsupported")


def test_one_users_documents_never_answer_another_user(serve):
    client, llm = serve()
    ingest(client, KEY_ALICE)
    ingest(client, KEY_APP, text="Ann keeps her bike in shed number 42.", source="ann.md", user="ann")
    bob = client.post(CHAT, json=ask("Where does Lin live?"), headers=auth(KEY_BOB)).json()
    assert "Hangzhou" not in bob["choices"][0]["message"]["content"]
    assert bob["congming"]["action"] == "no_evidence"
    bike = "Where does Ann keep her bike?"
    ben = client.post(CHAT, json=ask(bike, user="ben"), headers=auth(KEY_APP)).json()
    assert ben["congming"]["user"] == "app:ben" and "42" not in ben["choices"][0]["message"]["content"]
    ann = client.post(CHAT, json=ask(bike, user="ann"), headers=auth(KEY_APP)).json()
    assert ann["congming"]["user"] == "app:ann" and "42" in ann["choices"][0]["message"]["content"]
    assert all("Hangzhou" not in m.content for prompt in llm.prompts for m in prompt if "42" in m.content)


# ---- memories -----------------------------------------------------------------------------

def test_memories_are_told_listed_and_forgotten_per_user(serve):
    client, _ = serve()
    told = client.post("/v1/memories", json={"text": "I live in Hangzhou."}, headers=auth(KEY_ALICE))
    assert told.status_code == 200, told.text
    facts = told.json()["data"]
    assert facts and "Hangzhou" in facts[0]["text"] and facts[0]["id"]
    listed = client.get("/v1/memories", headers=auth(KEY_ALICE)).json()["data"]
    assert [f["id"] for f in listed] == [f["id"] for f in facts]
    assert client.get("/v1/memories", headers=auth(KEY_BOB)).json() == {"object": "list", "data": []}
    assert_error(client.delete(f"/v1/memories/{facts[0]['id']}", headers=auth(KEY_BOB)), 404,
                 "memory_not_found")
    gone = client.delete(f"/v1/memories/{facts[0]['id']}", headers=auth(KEY_ALICE))
    assert gone.json() == {"id": facts[0]["id"], "deleted": True}
    assert client.get("/v1/memories", headers=auth(KEY_ALICE)).json()["data"] == []


def test_memories_with_history_list_the_values_that_no_longer_hold(serve):
    client, _ = serve()
    client.post("/v1/memories", json={"text": "I live in Hangzhou."}, headers=auth(KEY_ALICE))
    client.post("/v1/memories", json={"text": "I moved to Oslo."}, headers=auth(KEY_ALICE))
    now = client.get("/v1/memories", headers=auth(KEY_ALICE)).json()["data"]
    assert [(f["object"], f["valid_to"]) for f in now] == [("Oslo", None)]
    every = client.get("/v1/memories", params={"history": "true"}, headers=auth(KEY_ALICE)).json()["data"]
    assert [f["object"] for f in every] == ["Oslo", "Hangzhou"] and every[1]["valid_to"]


def test_forgetting_everything_needs_confirmation_and_touches_one_user(serve):
    client, _ = serve()
    client.post("/v1/memories", json={"text": "I live in Hangzhou."}, headers=auth(KEY_ALICE))
    client.post("/v1/memories", json={"text": "I live in Oslo."}, headers=auth(KEY_BOB))
    assert_error(client.delete("/v1/memories", headers=auth(KEY_ALICE)), 400, "confirmation_required")
    cleared = client.delete("/v1/memories", params={"all": "true"}, headers=auth(KEY_ALICE))
    assert cleared.status_code == 200 and cleared.json()["deleted"] >= 1
    assert client.get("/v1/memories", headers=auth(KEY_ALICE)).json()["data"] == []
    assert "Oslo" in client.get("/v1/memories", headers=auth(KEY_BOB)).json()["data"][0]["text"]
    assert_error(client.post("/v1/memories", json={"text": ""}, headers=auth(KEY_ALICE)), 400)


# ---- the rest -----------------------------------------------------------------------------

def test_the_openapi_spec_describes_the_api_and_its_bearer_auth(serve):
    client, _ = serve()
    spec = client.get("/openapi.json").json()
    assert {"/v1/chat/completions", "/v1/models", "/v1/documents", "/v1/documents/upload",
            "/v1/memories"} <= set(spec["paths"])
    assert any(s.get("scheme") == "bearer" for s in spec["components"]["securitySchemes"].values())
    assert client.get("/docs").status_code == 200


def test_cors_is_off_unless_origins_are_configured(serve):
    client, _ = serve()
    preflight = {"Origin": "http://app.example", "Access-Control-Request-Method": "POST"}
    assert "access-control-allow-origin" not in client.options(CHAT, headers=preflight).headers
    client, _ = serve(cors_origins=["http://app.example"])
    allowed = client.options(CHAT, headers=preflight)
    assert allowed.headers["access-control-allow-origin"] == "http://app.example"


def test_congming_serve_refuses_a_public_address_without_keys(clean_env):
    from typer.testing import CliRunner

    from agent.cli import app

    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--port", "0"])
    assert result.exit_code == 2
    assert "without API keys" in result.output


def without_marks(text: str) -> str:
    return re.sub(r"\s*(\[\d+\])+", "", text)
