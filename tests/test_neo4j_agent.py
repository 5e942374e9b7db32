"""The agent end to end with ``graph.backend = "neo4j"`` on a real server: ingest and chat with
citations, memory facts with supersession, two users kept apart, forgetting for good (checked
on the server itself), and the whole knowledge base through export/import SQLite -> Neo4j ->
SQLite. Set NEO4J_URI (and NEO4J_USER, NEO4J_PASSWORD) to run them, as tests/test_neo4j_live.py.
Every test uses fresh random user ids, so a shared database needs no wiping."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest
from pydantic import SecretStr

from tests.turn_support import make_agent

pytestmark = [
    pytest.mark.neo4j,
    pytest.mark.skipif(not os.environ.get("NEO4J_URI"),
                       reason="set NEO4J_URI (and NEO4J_USER/NEO4J_PASSWORD) to run against Neo4j"),
]

ENGINE = ("Charles Babbage designed the Analytical Engine in London. "
          "Ada Lovelace wrote the first program for the Analytical Engine.")


def fresh_user(tag: str = "agent") -> str:
    return f"{tag}-{uuid.uuid4().hex[:10]}"


def graph_settings(settings, uri: str, password: str = ""):
    """``settings`` pointed at the Neo4j server at ``uri`` (hash embedder, fast extraction)."""
    pytest.importorskip("neo4j")
    settings.embedder.backend = "hash"
    settings.knowledge.extractor = "fast"
    settings.graph.backend = "neo4j"
    settings.graph.uri = uri
    settings.graph.user = os.environ.get("NEO4J_USER", "neo4j")
    settings.graph.password = SecretStr(password)
    return settings


@pytest.fixture
def neo4j_settings(settings):
    return graph_settings(settings, os.environ["NEO4J_URI"], os.environ.get("NEO4J_PASSWORD", ""))


@pytest.fixture(scope="module")
def server():
    """A driver of its own on the test server, to look at what is stored there directly."""
    neo4j = pytest.importorskip("neo4j")
    driver = neo4j.GraphDatabase.driver(os.environ["NEO4J_URI"], auth=(
        os.environ.get("NEO4J_USER", "neo4j"), os.environ.get("NEO4J_PASSWORD", "")))
    yield driver
    driver.close()


def rows(driver, query: str, **params) -> list[dict]:
    return [r.data() for r in driver.execute_query(query, params).records]


def owned_by(driver, user: str) -> tuple[int, int]:
    """Nodes and relationships of ``user`` on the server."""
    nodes = rows(driver, "MATCH (n {user_id: $u}) RETURN count(n) AS n", u=user)[0]["n"]
    edges = rows(driver, "MATCH ()-[r {user_id: $u}]->() RETURN count(r) AS n", u=user)[0]["n"]
    return nodes, edges


def stored_texts(driver, user: str) -> str:
    """Every string property of the user's nodes and relationships, joined."""
    found = rows(driver, "MATCH (n {user_id: $u}) RETURN properties(n) AS p UNION ALL "
                 "MATCH ()-[r {user_id: $u}]->() RETURN properties(r) AS p", u=user)
    return " ".join(str(v) for row in found for v in row["p"].values())


def test_ingest_and_chat_with_a_cited_answer(neo4j_settings, server):
    user = fresh_user()
    agent, _ = make_agent(neo4j_settings, answerer="reader")
    with agent:
        outcome = agent.ingest_text(ENGINE, source="engine.txt", title="The Engine", user_id=user)
        assert agent.knowledge.graph_error is None
        reply = agent.chat("Who designed the Analytical Engine?", user_id=user, session_id="s")
        found = agent.retrieve("Analytical Engine Babbage", user_id=user, k=3)
    assert "Babbage" in reply.answer and reply.citations, reply.answer
    cited = reply.citations[0].passage
    assert cited.source == "The Engine" and "Babbage" in cited.text
    assert "graph" in {s for item in found.items for s in item.signals}  # the graph in Neo4j took part
    names = {r["name"] for r in rows(server, "MATCH (e:Entity {user_id: $u}) RETURN e.name AS name", u=user)}
    assert {"Charles Babbage", "Analytical Engine"} <= names, names
    sources = rows(server, "MATCH (s:EntitySource {user_id: $u}) RETURN DISTINCT s.source_id AS id", u=user)
    assert sources and outcome.document_id


def test_memory_facts_supersede_in_chat_and_keep_their_history(neo4j_settings, server):
    user = fresh_user()
    agent, _ = make_agent(neo4j_settings, answerer="reader")
    with agent:
        agent.chat("My sister Lin lives in Hangzhou.", user_id=user, session_id="told")
        agent.chat("Lin moved to Shanghai.", user_id=user, session_id="told")
        assert agent.memory.drain(timeout=60)
        now = {(f.subject, f.relation, f.object) for f in agent.memories(user_id=user)}
        every = agent.memories(user_id=user, history=True)
        where = agent.chat("Where does my sister live now?", user_id=user, session_id="asked")
    assert ("Lin", "lives_in", "Shanghai") in now and ("Lin", "lives_in", "Hangzhou") not in now
    ended = [f for f in every if not f.current]
    assert [(f.subject, f.object) for f in ended] == [("Lin", "Hangzhou")] and ended[0].valid_to
    assert where.answer.startswith("Shanghai") and "Hangzhou" not in where.answer, where.answer
    assert where.citations and where.citations[0].passage.kind == "fact"
    lives = rows(server, "MATCH (:Entity {user_id: $u})-[r:RELATED {user_id: $u, type: 'lives_in'}]->"
                 "(o:Entity) RETURN o.name AS place, r.valid_to IS NULL AS current ORDER BY place", u=user)
    assert lives == [{"place": "Hangzhou", "current": False}, {"place": "Shanghai", "current": True}]


def test_two_users_are_kept_apart(neo4j_settings, server):
    ann, bob = fresh_user("ann"), fresh_user("bob")
    agent, _ = make_agent(neo4j_settings, answerer="reader")
    with agent:
        agent.ingest_text("Bob's password hint is blue whale.", source="hint.txt", title="Hint", user_id=bob)
        agent.remember("My sister Mei lives in Suzhou.", user_id=bob)
        assert agent.documents(user_id=bob) and agent.documents(user_id=ann) == []
        assert agent.retrieve("password hint blue whale", user_id=ann).items == ()
        assert agent.memories(user_id=ann) == []
        asked = agent.chat("What is Bob's password hint?", user_id=ann, session_id="s")
        sister = agent.chat("Where does my sister live?", user_id=ann, session_id="s2")
        own = agent.chat("Where does my sister live?", user_id=bob, session_id="s")
    assert "whale" not in asked.answer and not asked.citations
    assert "Suzhou" not in sister.answer and not sister.citations
    assert own.answer.startswith("Suzhou"), own.answer
    assert owned_by(server, ann) == (0, 0)
    assert "whale" not in stored_texts(server, ann) and "Suzhou" in stored_texts(server, bob)


def test_forgetting_leaves_nothing_on_the_server(neo4j_settings, server):
    user = fresh_user()
    agent, _ = make_agent(neo4j_settings, answerer="reader")
    with agent:
        outcome = agent.ingest_text(ENGINE, source="engine.txt", title="The Engine", user_id=user)
        assert owned_by(server, user)[0] > 0
        assert agent.forget_document(outcome.document_id, user_id=user)
        assert owned_by(server, user) == (0, 0), stored_texts(server, user)
        assert agent.retrieve("Analytical Engine", user_id=user).items == ()

        told = agent.remember("My sister Lin lives in Hangzhou.", user_id=user)
        assert told and "Hangzhou" in stored_texts(server, user)
        for fact in told:
            assert agent.forget(fact.id, user_id=user)
        assert agent.memories(user_id=user, history=True) == []
        assert "Hangzhou" not in stored_texts(server, user)

        agent.chat("My brother Tom works at IBM.", user_id=user, session_id="s")
        assert agent.memory.drain(timeout=60)
        assert agent.memories(user_id=user)
        assert agent.forget(user_id=user, everything=True) >= 1
        assert owned_by(server, user) == (0, 0), stored_texts(server, user)


def test_export_import_sqlite_to_neo4j_and_back_is_identical(neo4j_settings, tmp_path: Path, monkeypatch):
    """A knowledge base with documents, extracted entities, chat-made facts with history, merges
    and mentions goes SQLite -> file -> Neo4j -> file -> SQLite -> file, identical each time."""
    from agent.components import create_knowledge_base
    from graph.embedding import HashEmbedder
    from graph.migrate import export_knowledge, import_knowledge
    from tests import test_migrate

    user, alice, bob = fresh_user(), fresh_user("alice"), fresh_user("bob")
    monkeypatch.setattr(test_migrate, "ALICE", alice)  # fresh names on a shared server
    monkeypatch.setattr(test_migrate, "BOB", bob)
    users = [user, alice, bob]
    embedded_settings = neo4j_settings.model_copy(deep=True)
    embedded_settings.graph.backend = "sqlite"
    embedded_settings.data_dir = tmp_path / "sqlite"
    agent, _ = make_agent(embedded_settings, answerer="reader")
    first = tmp_path / "1.jsonl"
    with agent:
        agent.ingest_text(ENGINE, source="engine.txt", title="The Engine", user_id=user)
        agent.chat("My sister Lin lives in Hangzhou.", user_id=user, session_id="s")
        agent.chat("Lin moved to Shanghai.", user_id=user, session_id="s")
        assert agent.memory.drain(timeout=60)
        test_migrate.fill(agent.knowledge)  # every shape of graph record, for alice and bob
        export_knowledge(agent.knowledge, first, user_ids=users)

    second, third = tmp_path / "2.jsonl", tmp_path / "3.jsonl"
    neo4j_settings.data_dir = tmp_path / "neo4j-side"
    with create_knowledge_base(neo4j_settings, HashEmbedder()) as kb:
        assert kb.graph_error is None
        report = import_knowledge(kb, first)
        assert report.counts["relation"] >= 5 and report.counts["merge"] >= 1
        export_knowledge(kb, second, user_ids=users)
        facts = {r.id: r for r in kb.graph.find_relations(user, include_history=True)}
    embedded_settings.data_dir = tmp_path / "sqlite-again"
    with create_knowledge_base(embedded_settings, HashEmbedder()) as back:
        import_knowledge(back, second)
        export_knowledge(back, third, user_ids=users)
        again = {r.id: r for r in back.graph.find_relations(user, include_history=True)}

    def records(path: Path) -> list[dict]:
        lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        return [{k: v for k, v in r.items() if k not in ("exported_at", "graph_backend")} for r in lines]

    one, two, three = records(first), records(second), records(third)
    kinds = {r["kind"] for r in one}
    assert {"document", "chunk", "entity", "relation", "merge"} <= kinds
    assert one == two == three
    assert facts == again and any(r.valid_to is not None for r in facts.values())  # the superseded fact
