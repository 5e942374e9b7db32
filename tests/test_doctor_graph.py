"""`congming doctor`'s graph checks: the real sqlite path, a real driver to a closed port, and the
Neo4j checks driven by a fake driver (the seam around the server: connectivity, version, SHOW)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from agent.doctor import run_checks
from agent.doctor_graph import check_graph, expected_schema, parse_version
from graph import neo4j_queries

DOWN = "bolt://127.0.0.1:1"  # nothing listens on port 1


def by_name(checks):
    return {check.name: check for check in checks}


class FakeDriver:
    """Answers like a Neo4j server would: version, SHOW CONSTRAINTS, SHOW INDEXES."""

    def __init__(self, agent="Neo4j/5.26.0", *, constraints=None, indexes=None, error=None):
        self.agent, self.error = agent, error
        self.constraints = [{"name": n} for n in (constraints or [])]
        self.indexes = [{"name": n, "type": "RANGE", "state": s, "options": o}
                        for n, s, o in (indexes or [])]
        self.queries, self.closed = [], False

    def verify_connectivity(self):
        if self.error is not None:
            raise self.error

    def get_server_info(self):
        return SimpleNamespace(agent=self.agent)

    def execute_query(self, query, database_=None, routing_=None):
        assert routing_ == "r"  # read-routed
        self.queries.append(query)
        return SimpleNamespace(records=self.constraints if "CONSTRAINTS" in query else self.indexes)

    def close(self):
        self.closed = True


def full_schema(native: bool = False, state: str = "ONLINE", dims: int = 384) -> dict:
    names = expected_schema(native)
    constraint_names = {s.split()[2] for s in neo4j_queries.SCHEMA if s.startswith("CREATE CONSTRAINT")}
    constraint_names.add("congming_chunk_key")
    options = {"indexConfig": {"vector.dimensions": dims}}
    return {"constraints": [n for n in names if n in constraint_names],
            "indexes": [(n, state, options) for n in names if n not in constraint_names]}


@pytest.fixture
def neo4j_settings(settings):
    pytest.importorskip("neo4j")
    settings.graph.backend = "neo4j"
    settings.graph.uri = DOWN
    return settings


def test_the_embedded_graph_is_reported(settings):
    check = by_name(run_checks(settings))["graph backend"]
    assert check.status == "ok" and check.detail.startswith("sqlite")


def test_an_unknown_backend_says_which_exist(settings):
    settings.graph.backend = "dgraph"
    check = by_name(check_graph(settings))["graph backend"]
    assert check.status == "fail" and "'neo4j'" in check.fix and "'sqlite'" in check.fix


def test_neo4j_without_a_uri_says_what_to_set(neo4j_settings):
    neo4j_settings.graph.uri = None
    check = by_name(check_graph(neo4j_settings))["neo4j connection"]
    assert check.status == "fail" and "CONGMING_GRAPH__URI" in check.fix


def test_a_server_that_is_down_fails_with_how_to_start_it(neo4j_settings):
    checks = by_name(run_checks(neo4j_settings))  # a real driver, connection refused
    check = checks["neo4j connection"]
    assert check.status == "fail" and DOWN in check.detail
    assert "docker compose up -d neo4j" in check.fix
    assert "neo4j version" not in checks


def test_bad_credentials_point_at_the_user_and_password(neo4j_settings):
    neo4j = pytest.importorskip("neo4j")
    driver = FakeDriver(error=neo4j.exceptions.AuthError("The client is unauthorized"))
    check = by_name(check_graph(neo4j_settings, driver))["neo4j connection"]
    assert check.status == "fail" and "CONGMING_GRAPH__PASSWORD" in check.fix


def test_a_healthy_server_passes_and_a_callers_driver_stays_open(neo4j_settings):
    driver = FakeDriver(**full_schema())
    checks = by_name(run_checks(neo4j_settings, driver=driver))
    assert checks["neo4j connection"].status == "ok"
    assert checks["neo4j version"].status == "ok" and checks["neo4j version"].detail == "5.26.0"
    assert checks["neo4j schema"].status == "ok", checks["neo4j schema"].detail
    assert not driver.closed
    assert all(q.startswith("SHOW ") for q in driver.queries)


def test_neo4j_4_is_refused(neo4j_settings):
    check = by_name(check_graph(neo4j_settings, FakeDriver("Neo4j/4.4.30", **full_schema())))["neo4j version"]
    assert check.status == "fail" and "Neo4j 5" in check.fix


def test_calendar_versions_count_as_newer_than_5():
    assert parse_version("Neo4j/2025.01.0") == (2025, 1, 0) and parse_version("Neo4j/5.13") == (5, 13)
    assert parse_version("Memgraph") is None


def test_missing_indexes_are_named_with_how_they_get_created(neo4j_settings):
    schema = full_schema()
    schema["indexes"] = schema["indexes"][1:]
    check = by_name(check_graph(neo4j_settings, FakeDriver(**schema)))["neo4j schema"]
    assert check.status == "warn" and expected_schema(False)[len(schema["constraints"])] in check.detail
    assert "IF NOT EXISTS" in check.fix


def test_indexes_still_populating_are_reported(neo4j_settings):
    driver = FakeDriver(**full_schema(state="POPULATING"))
    check = by_name(check_graph(neo4j_settings, driver))["neo4j schema"]
    assert check.status == "warn" and "POPULATING" in check.detail


def test_native_indexes_need_5_13_and_their_indexes(neo4j_settings):
    neo4j_settings.graph.native_indexes = True
    old = by_name(check_graph(neo4j_settings, FakeDriver("Neo4j/5.11.0", **full_schema(True))))
    assert old["neo4j version"].status == "fail" and "5.13" in old["neo4j version"].fix
    missing = by_name(check_graph(neo4j_settings, FakeDriver(**full_schema(False))))["neo4j schema"]
    assert missing.status == "warn" and "congming_chunk_embedding" in missing.detail
    ok = by_name(check_graph(neo4j_settings, FakeDriver(**full_schema(True, dims=384))))["neo4j schema"]
    assert ok.status == "ok" and "dimension 384" in ok.detail
