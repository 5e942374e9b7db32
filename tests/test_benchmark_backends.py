"""The benchmarks' ``--graph-backend sqlite|neo4j|both``: parsing, the settings and knowledge base
built for each backend (as the agent builds them), and the side-by-side table. Only the last
test needs a Neo4j server (NEO4J_URI)."""

from __future__ import annotations

import os
import uuid

import pytest

from agent.components import create_graph_store
from benchmarks import common, retrieval_quality, retrieval_speed
from graph.embedding import HashEmbedder

LIVE_URI = os.environ.get("NEO4J_URI")  # read before the fixture below hides it


@pytest.fixture(autouse=True)
def _no_graph_env(monkeypatch):
    for name in ("NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD", "CONGMING_GRAPH__URI",
                 "CONGMING_GRAPH__BACKEND", "CONGMING_GRAPH__USER", "CONGMING_GRAPH__PASSWORD",
                 "CONGMING_GRAPH__NATIVE_INDEXES", "CONGMING_CONFIG"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(("choice", "backends"), [("sqlite", ["sqlite"]), ("neo4j", ["neo4j"]),
                                                  ("both", ["sqlite", "neo4j"])])
def test_graph_backends_in_order(choice, backends):
    assert common.graph_backends(choice) == backends


def test_unknown_graph_backend_is_refused():
    with pytest.raises(ValueError, match="sqlite"):
        common.graph_backends("postgres")
    with pytest.raises(SystemExit):
        retrieval_quality.parse_args(["--graph-backend", "postgres"])


@pytest.mark.parametrize("parse", [retrieval_quality.parse_args, retrieval_speed.parse_args])
def test_flag_default_and_both(parse):
    assert parse([]).graph_backend == "sqlite"
    args = parse(["--graph-backend", "both", "--neo4j-uri", "bolt://db:7687"])
    assert (args.graph_backend, args.neo4j_uri, args.neo4j_native_indexes) == ("both", "bolt://db:7687",
                                                                               False)


def test_speed_results_file_names_the_backend():
    assert retrieval_speed.parse_args([]).out.name == "retrieval_speed.json"
    assert retrieval_speed.parse_args(["--graph-backend", "both"]).out.name == "retrieval_speed_both.json"


def test_sqlite_settings_and_knowledge_base(tmp_path):
    settings = common.benchmark_settings(tmp_path, "sqlite", native_indexes=True)
    assert settings.graph.backend == "sqlite"
    assert settings.graph.native_indexes is False  # native indexes are a Neo4j option only
    kb = common.open_benchmark_kb(settings, HashEmbedder(dim=16), "bench")
    try:
        assert not kb.external_graph
        assert kb.data_dir == tmp_path / "knowledge"
    finally:
        kb.close()


def test_neo4j_settings_take_the_uri_flag_then_neo4j_uri_then_congming(tmp_path):
    env = {"NEO4J_URI": "bolt://env:7687", "NEO4J_USER": "bench", "NEO4J_PASSWORD": "secret"}
    settings = common.benchmark_settings(tmp_path, "neo4j", environ=env)
    assert (settings.graph.backend, settings.graph.uri, settings.graph.user) == ("neo4j", "bolt://env:7687",
                                                                                 "bench")
    assert settings.graph.password.get_secret_value() == "secret"
    flag = common.benchmark_settings(tmp_path, "neo4j", neo4j_uri="bolt://flag:7687", environ=env)
    assert flag.graph.uri == "bolt://flag:7687"
    store = create_graph_store(flag.graph)  # what the agent builds; not opened, no server needed
    assert type(store).__name__ == "Neo4jGraphStore" and store.uri == "bolt://flag:7687"


def test_neo4j_without_a_server_address_says_how(tmp_path):
    from agent.errors import ConfigError

    settings = common.benchmark_settings(tmp_path, "neo4j", environ={})
    with pytest.raises(ConfigError, match="URI"):
        common.open_benchmark_kb(settings, HashEmbedder(dim=16), "bench")


def test_side_by_side_table_has_both_backends_and_ratios():
    rows = {"sqlite": [["hybrid", 0.5, 10.0]], "neo4j": [["hybrid", 0.5, 25.0]]}
    text = common.side_by_side(rows, 1, ["recall", "p95 ms"], ["retriever"], ratio_columns=(1,),
                               digits=(3, 1))
    header, _, row = text.splitlines()
    assert "recall sqlite" in header and "p95 ms neo4j" in header and "p95 ms neo4j/sqlite" in header
    assert "0.500" in row and "25.0" in row and "2.50x" in row


@pytest.mark.neo4j
@pytest.mark.skipif(not LIVE_URI, reason="set NEO4J_URI to run against Neo4j")
def test_neo4j_knowledge_base_starts_empty(tmp_path):
    pytest.importorskip("neo4j")
    from graph.types import Entity

    user = "bench-" + uuid.uuid4().hex[:8]
    settings = common.benchmark_settings(tmp_path, "neo4j", neo4j_uri=LIVE_URI)
    kb = common.open_benchmark_kb(settings, HashEmbedder(dim=16), user)
    try:
        assert kb.external_graph
        kb.graph.upsert_entities(user, [Entity(id="e1", user_id=user, name="Ada Lovelace", type="person")])
        assert kb.graph.stats(user).entities == 1
    finally:
        kb.close()
    kb = common.open_benchmark_kb(settings, HashEmbedder(dim=16), user)  # a new run: cleared
    try:
        assert kb.graph.stats(user).entities == 0
    finally:
        kb.close()
