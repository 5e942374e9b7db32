"""The HTTP API against its own OpenAPI document, fuzzed with schemathesis.

Every operation in /openapi.json is called in-process (ASGI) with a valid bearer key and
generated requests, valid and invalid, a bounded number of examples each. No response may be
a server error; every response must match the schema (status code, content type, body); every
error must be OpenAI's ``{"error": {"message", "type", "param", "code"}}`` with a sentence for
a person. The agent is real, with the scripted FakeLLM and the hash embedder.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

schemathesis = pytest.importorskip("schemathesis")
pytest.importorskip("fastapi")

from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.config import SchemathesisConfig  # noqa: E402
from schemathesis.python import asgi  # noqa: E402

from agent.server import create_app  # noqa: E402
from agent.settings import Settings  # noqa: E402
from tests.server_support import KEY_APP, make_agent, server_settings  # noqa: E402

HEADERS = {"Authorization": f"Bearer {KEY_APP}"}
LIN = "My sister Lin lives in Hangzhou. She works at Alibaba as an engineer."


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """The app with its agent open (FakeLLM answering from evidence, hash embedder), one
    document ingested for the multi-user key's user; the lifespan is schemathesis's."""
    with pytest.MonkeyPatch.context() as env:
        for name in list(os.environ):
            if name.startswith("CONGMING_"):
                env.delenv(name)
        folder = tmp_path_factory.mktemp("fuzz")
        env.chdir(folder)
        config = Settings.load(data_dir=folder / "data", llm={"threads": 1},
                               knowledge={"extractor": "none"})
        agent, _ = make_agent(server_settings(config))
        application = create_app(config, agent)
        agent.open()
        agent.ingest_text(LIN, source="lin.md", title="Lin", user_id="app")
        try:
            yield application
        finally:
            asgi.shutdown_lifespans()
            agent.close_memory()
            agent.close()


@pytest.fixture(scope="module")
def api_schema(app: object) -> object:
    # The bearer key is sent with every request (HEADERS), so no Authorization header is generated;
    # unknown query parameters are ignored by design (OpenAI clients send many), so none are added.
    config = SchemathesisConfig.from_dict({"generation": {"with-security-parameters": False,
                                                          "allow-extra-parameters": False}})
    loaded = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
    loaded.hook(map_case)
    return loaded


QUESTIONS = ("Where does Lin live?", "What is 17 + 25?", "Hello!", "Who is Lin's employer?")


def map_case(context: object, case: object) -> object:
    """A conversation must end with the user's message, which a schema cannot say: most valid
    chat requests generated from it would only meet that refusal, so each gets a user question."""
    body = case.body
    if (case.operation.label == "POST /v1/chat/completions" and case.meta is not None
            and case.meta.generation.mode.is_positive and isinstance(body, dict)
            and isinstance(body.get("messages"), list) and body["messages"]
            and body["messages"][-1].get("role") != "user"):
        question = QUESTIONS[len(body["messages"]) % len(QUESTIONS)]
        body["messages"].append({"role": "user", "content": question})
    return case


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    """schemathesis 4.32's lazy schema reads ``node._nodeid``, which pytest 9.2 no longer sets."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


def openai_error_shape(ctx: object, response: object, case: object) -> bool | None:
    """A non-2xx response is OpenAI's error object with a human message."""
    if response.status_code < 400:
        return None
    body = response.json()
    error = body.get("error") if isinstance(body, dict) else None
    assert isinstance(error, dict), f"an error body must be {{'error': {{...}}}}, got {body!r}"
    assert set(error) == {"message", "type", "param", "code"}, error
    message = error["message"]
    assert isinstance(message, str) and len(message) >= 15 and " " in message, message
    assert isinstance(error["type"], str) and error["type"], error
    return True


def schema_valid_requests_pass_validation(ctx: object, response: object, case: object) -> bool | None:
    """A request the schema calls valid is never refused as malformed: the server may still
    decline it for what it means (n > 1 is in the schema's limits; a note too long to keep, an
    unknown file type, a missing confirmation), with an error code that says which."""
    if case.meta is None or not case.meta.generation.mode.is_positive or response.status_code != 400:
        return None
    error = response.json()["error"]
    assert error["code"] != "invalid_request", f"a schema-valid request failed validation: {error}"
    return True


# schemathesis's own positive_data_acceptance wants every schema-valid request accepted; the
# check above is the part of it that holds for an API with rules a schema cannot state.
@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None,
          derandomize=True)
def test_every_operation_conforms_to_its_schema_and_errors_are_openai_shaped(case: object) -> None:
    case.call_and_validate(headers=HEADERS,
                           additional_checks=[openai_error_shape, schema_valid_requests_pass_validation],
                           excluded_checks=[schemathesis.checks.positive_data_acceptance])
