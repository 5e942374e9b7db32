"""Ask the graph: a capable model writes one read-only Cypher query for a question, over the Neo4j
graph store, and its rows become evidence.

Layers of safety, each enough on its own for writes: the query is checked (``graph.cypher_guard``:
read clauses and functions only, no comments, one statement, every node scoped with
``{user_id: $user_id}``); it runs in a managed *read* transaction (routed to a reader; Neo4j
refuses writes there) with a server-side timeout; and before running it, ``EXPLAIN`` must report
it as a read query (``query_type == "r"``). Results are cut at ``max_rows``. The asking user's id
is only ever a parameter.

The packaged 135M model cannot write Cypher; the agent enables this only for a capable model
(``graph.ask_graph`` in settings, see ``agent.components.create_graph_asker``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from graph.cypher_guard import USER_PARAMETER, UnsafeQueryError, validate_read_query
from graph.errors import ConfigError, InputError
from graph.extract_llm import JsonLLM

SYSTEM_PROMPT = """You turn a question into ONE read-only Cypher query (Neo4j 5) over this graph:
(:Entity {user_id, id, name, type, properties})  type: person, place, organization, product, concept or other
(:Entity)-[:RELATED {user_id, id, type, weight, valid_from, valid_to}]->(:Entity)
  r.type is the relation in snake_case, e.g. lives_in, works_at, born_in, co_occurs
(:EntityName {user_id, entity_id, name, norm})  every name and alias of an entity; norm is lower case
Rules:
- Every node pattern holds {user_id: $user_id}, for example (p:Entity {user_id: $user_id}).
- Only MATCH, OPTIONAL MATCH, WHERE, WITH, UNWIND, RETURN, ORDER BY, SKIP and LIMIT.
- No comments, no CALL, no parameters but $user_id.
- Current facts only (r.valid_to IS NULL OR r.valid_to > datetime()) unless asked about the past.
- Compare names in lower case: toLower(p.name) = 'ada lovelace'.
- Return a few named columns, at most 50 rows.
Answer with JSON only: {"cypher": "..."}
Example question: Where does Ada Lovelace live?
Example answer: {"cypher": "MATCH (p:Entity {user_id: $user_id})-[r:RELATED]->(c:Entity {user_id: $user_id}) WHERE toLower(p.name) = 'ada lovelace' AND r.type = 'lives_in' AND (r.valid_to IS NULL OR r.valid_to > datetime()) RETURN c.name AS place LIMIT 50"}"""  # noqa: E501

ANSWER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"cypher": {"type": "string", "minLength": 1, "maxLength": 4000}},
    "required": ["cypher"],
    "additionalProperties": False,
}


@dataclass(frozen=True, slots=True)
class GraphAnswer:
    question: str
    cypher: str  # the checked query that ran
    rows: tuple[dict[str, Any], ...] = ()
    truncated: bool = False  # more rows than max_rows came back
    columns: tuple[str, ...] = field(default=(), hash=False)

    def evidence(self) -> str:
        """The rows as short lines of text, for a prompt ("no rows" when the graph had none)."""
        if not self.rows:
            return "The knowledge graph has no rows for this question."
        lines = ["; ".join(f"{k}: {_plain(v)}" for k, v in row.items()) for row in self.rows]
        return "\n".join(lines) + ("\n(more rows were left out)" if self.truncated else "")


def _plain(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def cypher_from_answer(raw: str) -> str:
    """The query in the model's JSON answer (``{"cypher": ...}``)."""
    try:
        data = json.loads(raw)
    except (TypeError, ValueError) as exc:
        raise UnsafeQueryError(f"The model did not answer with JSON ({exc}).") from exc
    query = data.get("cypher") if isinstance(data, dict) else None
    if not isinstance(query, str) or not query.strip():
        raise UnsafeQueryError('The model\'s answer has no "cypher" text.')
    return query


class GraphAsker:
    """Question -> model-written, checked, read-only Cypher -> rows, for one user at a time.

    ``store`` is an opened ``Neo4jGraphStore`` (anything with its ``run_read``); ``llm`` is any
    ``JsonLLM`` (``agent.llm.structured.JsonCompleter`` adapts an agent LLM).
    """

    def __init__(self, llm: JsonLLM, store: Any, *, timeout_s: float = 10.0, max_rows: int = 50) -> None:
        if not hasattr(store, "run_read"):
            raise ConfigError("Asking the graph needs the Neo4j graph store (graph.backend 'neo4j').")
        if timeout_s <= 0 or max_rows < 1:
            raise ConfigError("GraphAsker needs timeout_s > 0 and max_rows >= 1.")
        self.llm = llm
        self.store = store
        self.timeout_s = timeout_s
        self.max_rows = max_rows

    def write_query(self, question: str) -> str:
        """The model's query for ``question``, checked (UnsafeQueryError when it may not run)."""
        if not isinstance(question, str) or not question.strip():
            raise InputError("The question is empty: ask something.")
        raw = self.llm.complete_json(SYSTEM_PROMPT, question.strip(), ANSWER_SCHEMA)
        return validate_read_query(cypher_from_answer(raw))

    def ask(self, question: str, *, user_id: str) -> GraphAnswer:
        if not user_id:
            raise InputError("ask() needs the user_id whose graph is asked.")
        query = self.write_query(question)
        columns, rows, truncated = self.run(query, user_id=user_id)
        return GraphAnswer(question, query, tuple(rows), truncated, tuple(columns))

    def run(self, query: str, *, user_id: str) -> tuple[list[str], list[dict[str, Any]], bool]:
        """Run an already checked query read-only: (columns, at most max_rows rows, truncated)."""
        checked = validate_read_query(query)  # cheap, and run() may be called directly
        limit = self.max_rows

        def work(tx) -> tuple[list[str], list[dict[str, Any]], bool]:
            plan = tx.run("EXPLAIN " + checked, {USER_PARAMETER: user_id}).consume()
            if plan.query_type != "r":
                raise UnsafeQueryError(f"Neo4j plans this query as {plan.query_type!r}, not read-only.")
            result = tx.run(checked, {USER_PARAMETER: user_id})
            rows = []
            for record in result:
                if len(rows) == limit:
                    result.consume()  # the rest is discarded on the server
                    return list(result.keys()), rows, True
                rows.append(record.data())
            return list(result.keys()), rows, False

        return self.store.run_read(work, timeout=self.timeout_s)
