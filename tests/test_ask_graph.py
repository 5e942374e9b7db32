"""graph.ask_graph: the model's query is checked, planned with EXPLAIN, run in a read transaction
with a timeout and cut at max_rows. The Neo4j transaction is a fake (the seam around the server);
the checks and the flow are real. The gate lives in agent.components."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from agent.components import ask_graph_refusal, create_graph_asker
from graph.ask_graph import ANSWER_SCHEMA, SYSTEM_PROMPT, GraphAsker, cypher_from_answer
from graph.cypher_guard import UnsafeQueryError, validate_read_query
from graph.errors import ConfigError, InputError

GOOD = ("MATCH (p:Entity {user_id: $user_id})-[r:RELATED]->(c:Entity {user_id: $user_id}) "
        "WHERE r.type = 'lives_in' RETURN p.name AS person, c.name AS place")


class ScriptedModel:
    """A JsonLLM that answers with the given texts in turn and records what it was asked."""

    def __init__(self, *answers: str) -> None:
        self.answers, self.calls = list(answers), []

    def complete_json(self, system, user, schema):
        self.calls.append((system, user, schema))
        return self.answers.pop(0)


class FakeResult:
    def __init__(self, rows, query_type="r"):
        self.rows, self.query_type, self.consumed = rows, query_type, False

    def __iter__(self):
        for row in self.rows:
            yield SimpleNamespace(data=lambda row=row: dict(row))

    def keys(self):
        return list(self.rows[0]) if self.rows else []

    def consume(self):
        self.consumed = True
        return SimpleNamespace(query_type=self.query_type)


class FakeStore:
    """Runs the work in a fake read transaction, as Neo4jGraphStore.run_read would."""

    def __init__(self, rows=(), plan="r"):
        self.rows, self.plan, self.runs, self.timeouts, self.results = list(rows), plan, [], [], []

    def run_read(self, work, *args, timeout=-1.0):
        self.timeouts.append(timeout)
        return work(SimpleNamespace(run=self._run), *args)

    def _run(self, query, parameters=None):
        self.runs.append((query, dict(parameters or {})))
        result = FakeResult([], self.plan) if query.startswith("EXPLAIN ") else FakeResult(self.rows)
        self.results.append(result)
        return result


def test_the_prompt_shows_the_schema_and_its_example_passes_the_checks():
    assert "{user_id: $user_id}" in SYSTEM_PROMPT and ":RELATED" in SYSTEM_PROMPT
    example = SYSTEM_PROMPT.rsplit("Example answer: ", 1)[1]
    assert validate_read_query(cypher_from_answer(example))
    assert ANSWER_SCHEMA["required"] == ["cypher"]


def test_a_question_becomes_rows_via_explain_then_a_read_with_the_user_as_parameter():
    model = ScriptedModel(json.dumps({"cypher": GOOD}))
    store = FakeStore([{"person": "Ada", "place": "London"}])
    answer = GraphAsker(model, store, timeout_s=7.0).ask("Where does Ada live?", user_id="alice")
    assert model.calls[0][1] == "Where does Ada live?" and model.calls[0][0] == SYSTEM_PROMPT
    assert [q for q, _ in store.runs] == ["EXPLAIN " + GOOD, GOOD]
    assert all(params == {"user_id": "alice"} for _, params in store.runs)
    assert store.timeouts == [7.0]
    assert answer.rows == ({"person": "Ada", "place": "London"},) and not answer.truncated
    assert answer.columns == ("person", "place") and answer.cypher == GOOD
    assert answer.evidence() == "person: Ada; place: London"


def test_rows_past_the_limit_are_cut_and_discarded_on_the_server():
    store = FakeStore([{"n": i} for i in range(10)])
    answer = GraphAsker(ScriptedModel(json.dumps({"cypher": GOOD})), store, max_rows=3).ask(
        "list", user_id="u")
    assert [r["n"] for r in answer.rows] == [0, 1, 2] and answer.truncated
    assert store.results[-1].consumed and "more rows" in answer.evidence()


def test_a_write_the_checks_missed_is_stopped_by_the_plan():
    store = FakeStore(plan="rw")  # what Neo4j reports for a query that writes
    with pytest.raises(UnsafeQueryError, match="not read-only"):
        GraphAsker(ScriptedModel(), store).run(GOOD, user_id="u")
    assert [q for q, _ in store.runs] == ["EXPLAIN " + GOOD]  # the query itself never ran


@pytest.mark.parametrize("answer", [
    json.dumps({"cypher": "MATCH (n) DETACH DELETE n"}),
    json.dumps({"cypher": "MATCH (e:Entity) RETURN e"}),
    json.dumps({"cypher": GOOD + "; MATCH (n) DELETE n"}),
    json.dumps({"query": GOOD}),
    "MATCH (n) RETURN n",
    "",
])
def test_an_unsafe_or_malformed_answer_never_reaches_the_database(answer):
    store = FakeStore()
    with pytest.raises(UnsafeQueryError):
        GraphAsker(ScriptedModel(answer), store).ask("anything", user_id="u")
    assert store.runs == []


def test_bad_arguments_are_refused():
    with pytest.raises(ConfigError, match="neo4j"):
        GraphAsker(ScriptedModel(), object())
    asker = GraphAsker(ScriptedModel(), FakeStore())
    with pytest.raises(InputError, match="empty"):
        asker.ask("  ", user_id="u")
    with pytest.raises(InputError, match="user_id"):
        asker.ask("who?", user_id="")


def test_asking_the_graph_is_only_for_a_capable_model_on_neo4j(settings):
    assert "CONGMING_GRAPH__ASK_GRAPH" in ask_graph_refusal(settings)
    settings.graph.ask_graph = True
    assert "neo4j" in ask_graph_refusal(settings)
    settings.graph.backend = "neo4j"
    assert "135M" in ask_graph_refusal(settings)  # the packaged default model
    settings.llm.backend, settings.llm.model = "openai", "qwen2.5:14b"
    assert ask_graph_refusal(settings) is None
    kb = SimpleNamespace(graph=FakeStore())
    asker = create_graph_asker(settings, SimpleNamespace(capabilities=None), kb)
    assert isinstance(asker, GraphAsker) and asker.store is kb.graph
    settings.llm.backend, settings.llm.model = "llamacpp", None
    with pytest.raises(ConfigError, match="Cannot ask the graph"):
        create_graph_asker(settings, None, kb)
