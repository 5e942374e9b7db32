"""What of the Neo4j graph store can be checked without a Neo4j server.

The store's behaviour against a real server is checked by the contract suite
(tests/contract/test_graph_store_contract.py) whenever NEO4J_URI is set.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta, timezone

import pytest

from graph import neo4j_queries
from graph.errors import BackendUnavailableError, ConfigError, CongmingError, InputError, MissingExtraError
from graph.neo4j_ops import from_neo4j_time, merge_patch, to_neo4j_time
from graph.neo4j_store import Neo4jGraphStore
from graph.store import GraphStore

neo4j = pytest.importorskip("neo4j", reason="the neo4j driver is not installed: "
                                              "pip install 'congming[neo4j]'")

# Nothing listens on port 1: the connection is refused at once.
DOWN = "bolt://127.0.0.1:1"


def test_constructor_does_no_io_and_implements_the_protocol():
    store = Neo4jGraphStore(uri=DOWN, password="secret")
    assert isinstance(store, GraphStore)
    store.close()  # closing a store that was never opened is fine


@pytest.mark.parametrize("uri", [None, "", "http://localhost:7474", "localhost:7687"])
def test_a_missing_or_bad_uri_is_a_config_error(uri):
    with pytest.raises(ConfigError, match="neo4j://"):
        Neo4jGraphStore(uri=uri)


@pytest.mark.parametrize("uri", [DOWN, "neo4j://127.0.0.1:1"])
def test_a_server_that_is_down_says_what_to_check(uri):
    store = Neo4jGraphStore(uri=uri, password="secret")
    with pytest.raises(BackendUnavailableError) as caught:
        store.open()
    message = str(caught.value)
    assert uri in message and "NEO4J_URI" in message and "server is running" in message
    assert "secret" not in message
    store.close()


def test_using_the_store_before_open_says_to_open_it():
    store = Neo4jGraphStore(uri=DOWN)
    with pytest.raises(CongmingError, match="call open"):
        store.stats("u1")


def test_a_caller_owned_driver_is_used_and_never_closed():
    driver = neo4j.GraphDatabase.driver(DOWN, auth=("neo4j", "x"))
    try:
        store = Neo4jGraphStore(driver=driver)
        with pytest.raises(BackendUnavailableError, match="driver passed in"):
            store.open()
        store.close()
        # A closed driver would raise "Driver closed"; ours still tries to connect.
        with pytest.raises(neo4j.exceptions.ServiceUnavailable):
            driver.verify_connectivity()
    finally:
        driver.close()


def test_input_is_checked_before_any_query():
    store = Neo4jGraphStore(uri=DOWN)
    with pytest.raises(InputError, match="hops"):
        store.neighbours("u1", "a", hops=0)
    with pytest.raises(InputError, match="not both or neither"):
        store.mentions("u1")
    assert store.search_entities("u1", "   ") == []
    assert store.upsert_entities("u1", []) == 0
    assert store.add_mentions("u1", []) == 0
    assert store.find_mentions("u1", "a b") == {}  # no candidate long enough: no query


def test_missing_driver_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "neo4j", None)  # import neo4j now raises ImportError
    with pytest.raises(MissingExtraError, match=r"congming\[neo4j\]"):
        Neo4jGraphStore(uri=DOWN).open()


def test_merge_patch_follows_rfc_7386():
    assert merge_patch({"a": 1, "b": {"x": 1, "y": 2}}, {"a": 3, "b": {"y": None, "z": 4}, "c": 5}) == {
        "a": 3, "b": {"x": 1, "z": 4}, "c": 5}
    assert merge_patch({"a": {"x": 1}}, {"a": 2}) == {"a": 2}
    assert merge_patch({}, {"gone": None}) == {}


def test_times_go_out_as_utc_and_come_back_aware():
    assert to_neo4j_time(None) is None
    assert to_neo4j_time(datetime(2020, 5, 1, 12)) == datetime(2020, 5, 1, 12, tzinfo=UTC)
    plus8 = datetime(2020, 5, 1, 20, tzinfo=timezone(timedelta(hours=8)))
    assert to_neo4j_time(plus8).tzinfo is UTC and to_neo4j_time(plus8).hour == 12
    # what the driver hands back for a Cypher DATETIME
    stored = neo4j.time.DateTime(2024, 1, 2, 3, 4, 5, 250_000_000, tzinfo=UTC)
    back = from_neo4j_time(stored)
    assert back == datetime(2024, 1, 2, 3, 4, 5, 250000, tzinfo=UTC) and back.utcoffset() == timedelta(0)


def test_schema_is_idempotent_and_every_query_takes_the_user_as_a_parameter():
    assert all("IF NOT EXISTS" in statement for statement in neo4j_queries.SCHEMA)
    public = {k: v for k, v in vars(neo4j_queries).items() if k.isupper() and not k.startswith("_")}
    queries = [v for v in public.values() if isinstance(v, str)]
    queries += [item if isinstance(item, str) else item[1]
                for v in public.values() if isinstance(v, tuple) for item in v]
    data_queries = [text for text in queries if not text.startswith("CREATE CONSTRAINT")
                    and not text.startswith("CREATE INDEX")]
    assert len(data_queries) > 40
    assert all("$user" in text for text in data_queries)  # every read and write is scoped to one user
