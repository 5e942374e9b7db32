"""Bad input and faults with ``graph.backend = "neo4j"``: a wrong password, a server that is down
at start, a server killed mid-session (a second server started here for it), and a Cypher
injection corpus through every string a user controls. Set NEO4J_URI to run them (see
tests/test_neo4j_live.py); the kill test also needs deploy/neo4j-test-server built (it is, once
``make neo4j`` or .ci/run ran)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import struct
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest

from graph.errors import BackendUnavailableError
from tests.test_neo4j_agent import (  # noqa: F401 (server: a fixture)
    ENGINE,
    fresh_user,
    graph_settings,
    owned_by,
    rows,
    server,
)
from tests.turn_support import make_agent

pytestmark = [
    pytest.mark.neo4j,
    pytest.mark.skipif(not os.environ.get("NEO4J_URI"),
                       reason="set NEO4J_URI (and NEO4J_USER/NEO4J_PASSWORD) to run against Neo4j"),
]

RUN_SH = Path(__file__).resolve().parents[1] / "deploy" / "neo4j-test-server" / "run.sh"
MODEL_LABELS = {"Entity", "EntityName", "EntitySource", "RelationSource", "Merge", "Chunk"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- a wrong password ------------------------------------------------------------------------
def _bolt_failure(code: str, message: str) -> bytes:
    def text(value: str) -> bytes:
        data = value.encode()
        return (bytes([0x80 + len(data)]) if len(data) < 16 else bytes([0xD0, len(data)])) + data

    body = b"\xB1\x7F\xA2" + text("code") + text(code) + text("message") + text(message)
    return struct.pack(">H", len(body)) + body + b"\x00\x00"


class RefusingBoltServer:
    """Speaks just enough Bolt 4.4 to refuse every login as a server with auth on does (the test
    server runs with auth off, so it accepts any password)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.uri = f"bolt://127.0.0.1:{self.sock.getsockname()[1]}"
        self.logins = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                try:
                    if conn.recv(20)[:4] != b"\x60\x60\xB0\x17":
                        continue
                    conn.sendall(b"\x00\x00\x04\x04")  # Bolt 4.4: HELLO carries the credentials
                    conn.recv(65536)
                    self.logins += 1
                    conn.sendall(_bolt_failure("Neo.ClientError.Security.Unauthorized",
                                               "The client is unauthorized due to authentication failure."))
                    conn.recv(65536)
                except OSError:
                    pass

    def close(self) -> None:
        self.sock.close()


def test_a_wrong_password_is_a_clear_error_naming_the_setting(settings):
    from agent.doctor_graph import check_graph

    refusing = RefusingBoltServer()
    try:
        graph_settings(settings, refusing.uri, password="wrong")
        settings.graph.degrade = False
        agent, _ = make_agent(settings)
        started = time.monotonic()
        with pytest.raises(BackendUnavailableError) as raised:
            agent.open()
        assert time.monotonic() - started < 20 and refusing.logins >= 1
        message = str(raised.value)
        assert "password" in message.lower() and "CONGMING_GRAPH__PASSWORD" in message, message
        assert "wrong" not in message  # the password itself is never shown
        checks = {c.name: c for c in check_graph(settings)}
        assert checks["neo4j connection"].status == "fail"
        assert "CONGMING_GRAPH__PASSWORD" in checks["neo4j connection"].fix
    finally:
        refusing.close()


# ---- a server that is down at start ----------------------------------------------------------
def test_a_server_down_at_start_fails_clearly_or_degrades(settings):
    user = fresh_user("down")
    graph_settings(settings, os.environ["NEO4J_URI"], os.environ.get("NEO4J_PASSWORD", ""))
    with make_agent(settings)[0] as agent:  # documents, chunks and vectors stay in data_dir
        agent.ingest_text(ENGINE, source="engine.txt", title="The Engine", user_id=user)
    uri = f"bolt://127.0.0.1:{free_port()}"  # nothing listens there
    settings.graph.uri = uri
    settings.graph.degrade = False
    started = time.monotonic()
    with pytest.raises(BackendUnavailableError) as raised:
        make_agent(settings)[0].open()
    assert time.monotonic() - started < 30
    message = str(raised.value)
    assert uri in message and "CONGMING_GRAPH__URI" in message and "running" in message, message

    settings.graph.degrade = True
    agent, _ = make_agent(settings, answerer="reader")
    with agent:
        assert agent.knowledge.graph_error and uri in agent.knowledge.graph_error
        reply = agent.chat("Who designed the Analytical Engine?", user_id=user, session_id="s")
        started = time.monotonic()
        with pytest.raises(BackendUnavailableError, match="Cannot reach Neo4j"):  # no half-written document
            agent.ingest_text("Alan Turing described a universal machine.", source="t.txt", user_id=user)
        assert time.monotonic() - started < 30
        assert [d.source for d in agent.documents(user_id=user)] == ["engine.txt"]
    assert "Babbage" in reply.answer and reply.citations, reply.answer
    assert any("graph" in note for note in reply.notes), reply.notes


@pytest.mark.slow
def test_chat_with_memory_on_answers_while_the_server_is_down(settings):
    user = fresh_user("down")
    graph_settings(settings, os.environ["NEO4J_URI"], os.environ.get("NEO4J_PASSWORD", ""))
    with make_agent(settings)[0] as agent:
        agent.ingest_text(ENGINE, source="engine.txt", title="The Engine", user_id=user)
    settings.graph.uri = f"bolt://127.0.0.1:{free_port()}"  # nothing listens there
    agent, _ = make_agent(settings, answerer="reader")
    with agent:
        reply = agent.chat("Who designed the Analytical Engine?", user_id=user, session_id="s")
    assert "Babbage" in reply.answer and reply.citations, reply.answer


# ---- a server killed mid-session -------------------------------------------------------------
class OwnServer:
    """A Neo4j test server of a test's own (its port and data folder), via run.sh."""

    def __init__(self, data: Path) -> None:
        self.port = free_port()
        self.uri = f"bolt://127.0.0.1:{self.port}"
        self.env = {**os.environ, "NEO4J_TEST_PORT": str(self.port), "NEO4J_TEST_DATA": str(data),
                    "NEO4J_TEST_HEAP": "512m", "NEO4J_TEST_PAGECACHE_MB": "64"}

    def start(self) -> None:
        started = subprocess.run([str(RUN_SH), "start"], env=self.env, capture_output=True, text=True,
                                 timeout=150)
        assert started.returncode == 0, started.stdout + started.stderr

    def kill(self) -> None:
        """SIGKILL, as a crash; returns once the port is closed."""
        pid = int((RUN_SH.parent / "target" / f"neo4j-{self.port}.pid").read_text())
        if b"congming.neo4j.TestServer" in Path(f"/proc/{pid}/cmdline").read_bytes():  # ours, still
            os.kill(pid, signal.SIGKILL)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
            except OSError:
                return
            time.sleep(0.1)
        raise AssertionError(f"the server on port {self.port} still accepts connections")

    def stop(self) -> None:
        """Stop it for good: SIGKILL (its data is thrown away), then run.sh cleans up."""
        with contextlib.suppress(OSError, ValueError):
            self.kill()
        subprocess.run([str(RUN_SH), "stop"], env=self.env, capture_output=True, timeout=90)


@pytest.fixture
def second_server(tmp_path):
    """A second Neo4j server, started, and stopped afterwards."""
    if not (RUN_SH.parent / "target" / ".built").exists():
        pytest.skip("deploy/neo4j-test-server is not built (run `make neo4j` once)")
    own = OwnServer(tmp_path / "neo4j")
    own.start()
    yield own
    own.stop()


@pytest.mark.slow
def test_chat_keeps_answering_when_the_server_dies_mid_session(settings, second_server, cli_env):
    from typer.testing import CliRunner

    from agent.cli import app
    from agent.doctor_graph import check_graph

    uri = second_server.uri
    graph_settings(settings, uri)
    user = fresh_user("killed")
    agent, _ = make_agent(settings, answerer="reader")
    with agent:
        agent.ingest_text(ENGINE, source="engine.txt", title="The Engine", user_id=user)
        before = agent.retrieve("Analytical Engine", user_id=user, k=3)
        assert "graph" in {s for item in before.items for s in item.signals}
        assert {c.name: c.status for c in check_graph(settings)}["neo4j connection"] == "ok"
        second_server.kill()
        started = time.monotonic()
        reply = agent.chat("Who designed the Analytical Engine?", user_id=user, session_id="s")
        seconds = time.monotonic() - started
        again = agent.chat("Who wrote the first program?", user_id=user, session_id="s")
        checks = {c.name: c for c in check_graph(settings)}
    cli_env.setenv("CONGMING_GRAPH__BACKEND", "neo4j")
    cli_env.setenv("CONGMING_GRAPH__URI", uri)
    cli_env.setenv("COLUMNS", "1000")
    doctor = CliRunner().invoke(app, ["doctor"])
    assert doctor.exit_code == 1
    [row] = [line for line in doctor.output.splitlines() if "neo4j connection" in line]
    assert "fail" in row and f"cannot reach {uri}" in row and "Start the server" in row, row
    assert seconds < 30, f"a turn with the graph down took {seconds:.0f} s"
    assert "Babbage" in reply.answer and reply.citations, reply.answer
    assert any("graph" in note and "unavailable" in note for note in reply.notes), reply.notes
    assert "Lovelace" in again.answer, again.answer
    down = checks["neo4j connection"]
    assert down.status == "fail" and uri in down.detail and "Start the server" in down.fix


def _story(i: int) -> str:
    return (f"Marta Kovac{i} founded Zentrix{i} Labs in Velmora{i}. Zentrix{i} Labs builds ferry "
            f"engines. Marta Kovac{i} met Oskar Brandt{i} in Velmora{i}. ") * (8 if i == 6 else 1)


def _graph_shape(driver, user: str) -> dict[str, object]:
    """The user's graph by names, not ids: what a clean ingest and a recovered one must share."""
    def sorted_rows(query: str) -> list[tuple]:
        return sorted(tuple(r.values()) for r in rows(driver, query, u=user))

    return {
        "entities": sorted_rows("MATCH (e:Entity {user_id: $u}) RETURN e.name, e.type"),
        "names": sorted_rows("MATCH (n:EntityName {user_id: $u}) RETURN n.name"),
        "sources": rows(driver, "MATCH (s:EntitySource {user_id: $u}) RETURN count(s) AS n", u=user),
        "relations": sorted((tuple(sorted((a, b))), kind, weight) for a, kind, b, weight in sorted_rows(
            "MATCH (a:Entity {user_id: $u})-[r:RELATED {user_id: $u}]->(b:Entity) "
            "RETURN a.name, r.type, b.name, r.weight")),  # co-occurrence has no direction
        "relation sources": rows(driver, "MATCH (s:RelationSource {user_id: $u}) RETURN count(s) AS n",
                                 u=user),
    }


@pytest.mark.slow
def test_a_server_killed_mid_ingest_loses_and_duplicates_nothing_after_re_ingest(settings, second_server):
    import neo4j

    graph_settings(settings, second_server.uri)
    victim, clean = fresh_user("victim"), fresh_user("clean")
    stories = {f"story-{i}.txt": _story(i) for i in range(7)}
    agent, _ = make_agent(settings)
    with agent:
        failed_at = None
        for i, (source, text) in enumerate(stories.items()):
            if i == 6:  # the long one: the kill lands while its graph is being written
                threading.Timer(0.05, second_server.kill).start()
            try:
                agent.ingest_text(text, source=source, user_id=victim)
            except BackendUnavailableError:
                failed_at = i
                break
        assert failed_at is not None and failed_at >= 6
        assert len(agent.documents(user_id=victim)) == failed_at  # the failed one is not half there
        second_server.start()
        for source, text in stories.items():  # re-ingest everything: unchanged ones are skipped
            agent.ingest_text(text, source=source, user_id=victim)
            agent.ingest_text(text, source=source, user_id=clean)
        assert len(agent.documents(user_id=victim)) == len(stories)
    driver = neo4j.GraphDatabase.driver(second_server.uri, auth=("neo4j", ""))
    try:
        assert _graph_shape(driver, victim) == _graph_shape(driver, clean)
    finally:
        driver.close()


# ---- Cypher injection ------------------------------------------------------------------------
INJECTIONS = (
    "x'}) MATCH (n) DETACH DELETE n //",
    '"}) MATCH (n) DETACH DELETE n RETURN 1 //',
    "`) CREATE (:Pwned {by: 'backtick'}) //",
    "'; MATCH (n) DETACH DELETE n; //",
    "$user}) CREATE (p:Pwned) WITH p MATCH (n) DETACH DELETE n //",
    "x'}) SET n:Pwned RETURN n //",
    "\\' OR 1=1 CREATE (:Pwned) //",
    "/* */ CALL apoc.cypher.runWrite('MATCH (n) DETACH DELETE n', {}) //",
    "Ada}) MERGE (:Pwned {user_id: 'victim'}) //",
    "北京'}) DETACH DELETE n //",
)


def test_injected_cypher_is_stored_as_data_and_does_nothing(neo4j_settings_for_faults, server):  # noqa: F811
    from graph.types import Entity, Relation

    canary = fresh_user("canary")
    settings = neo4j_settings_for_faults
    agent, _ = make_agent(settings, answerer="reader")
    with agent:
        agent.ingest_text(ENGINE, source="canary.txt", title="Canary", user_id=canary)
        agent.remember("My sister Lin lives in Hangzhou.", user_id=canary)
        kept = owned_by(server, canary)
        labels = {r["label"] for r in rows(server, "CALL db.labels() YIELD label RETURN label")}
        facts = 0
        for i, evil in enumerate(INJECTIONS):
            user = f"u{i}-{uuid.uuid4().hex[:6]}-{evil}"
            agent.ingest_text(f"{evil} met Charles Babbage in London. {evil} wrote about the Engine.",
                              source=evil, title=evil, user_id=user)
            [doc] = agent.documents(user_id=user)
            assert (doc.title, doc.source) == (evil, evil)
            graph = agent.knowledge.graph
            graph.upsert_entities(user, [Entity("e1", user, evil, "person", (evil + " alias",),
                                                {"note": evil}, (evil,)),
                                         Entity(evil, user, "Plain", provenance=("s",))])
            graph.upsert_relations(user, [Relation(evil, user, "e1", evil, evil, 1.0, {"why": evil},
                                                   provenance=(evil,))])
            [stored] = graph.get_entities(user, ["e1"])
            assert stored.name == evil and stored.properties["note"] == evil and evil in stored.provenance
            assert [r.type for r in graph.find_relations(user, types=[evil])] == [evil]
            assert graph.search_entities(user, evil, limit=3)[0].entity.id == "e1"
            told = agent.remember(f"I work at {evil}.", user_id=user)
            facts += len(told)
            assert [f.object for f in agent.memories(user_id=user)] == [f.object for f in told]
            agent.chat(f"Where does {evil} work? {evil}", user_id=user, session_id=evil)
            agent.retrieve(evil, user_id=user)
            assert graph.delete_by_source(user, [evil]).relations >= 1
            nodes = rows(server, "MATCH (n {user_id: $u}) UNWIND labels(n) AS l RETURN DISTINCT l", u=user)
            assert {r["l"] for r in nodes} <= MODEL_LABELS
        assert agent.memory.drain(timeout=60)
        assert facts >= len(INJECTIONS) // 2  # most became facts, stored as data
        assert owned_by(server, canary) == kept
        assert agent.retrieve("Analytical Engine", user_id=canary).items
    now = {r["label"] for r in rows(server, "CALL db.labels() YIELD label RETURN label")}
    assert "Pwned" not in now and now <= labels | MODEL_LABELS
    assert rows(server, "MATCH (n:Pwned) RETURN count(n) AS n")[0]["n"] == 0


@pytest.fixture
def neo4j_settings_for_faults(settings):
    return graph_settings(settings, os.environ["NEO4J_URI"], os.environ.get("NEO4J_PASSWORD", ""))
