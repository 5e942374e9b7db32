"""The stores every contract test runs over, and the small builders the suites share."""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from graph.store import GraphStore
from graph.types import Entity, Relation


def _sqlite_store(tmp_path: Path) -> GraphStore:
    from graph.sqlite_store import SQLiteGraphStore

    return SQLiteGraphStore(tmp_path / "congming.db")


def _neo4j_store(tmp_path: Path) -> GraphStore:
    # The hook for the Neo4j backend: it must pass this same suite. Every test uses fresh
    # random user ids, so a shared database needs no wiping between tests.
    pytest.importorskip("neo4j", reason="the neo4j driver is not installed: pip install 'congming[neo4j]'")
    from graph.neo4j_store import Neo4jGraphStore

    return Neo4jGraphStore(
        uri=os.environ["NEO4J_URI"],
        user=os.environ.get("NEO4J_USER", "neo4j"),
        password=os.environ.get("NEO4J_PASSWORD", ""),
    )


STORE_FACTORIES: list = [
    pytest.param(_sqlite_store, id="sqlite"),
    pytest.param(_neo4j_store, id="neo4j", marks=[
        pytest.mark.neo4j,
        pytest.mark.skipif(not os.environ.get("NEO4J_URI"),
                           reason="set NEO4J_URI (and NEO4J_USER/NEO4J_PASSWORD) to run against Neo4j"),
    ]),
]


@pytest.fixture(params=STORE_FACTORIES)
def store(request: pytest.FixtureRequest, tmp_path: Path):
    factory: Callable[[Path], GraphStore] = request.param
    graph = factory(tmp_path)
    graph.open()
    yield graph
    graph.close()


@pytest.fixture
def user() -> str:
    return "u-" + uuid.uuid4().hex[:10]


@pytest.fixture
def other_user() -> str:
    return "v-" + uuid.uuid4().hex[:10]


def ent(user: str, eid: str, name: str | None = None, **kw) -> Entity:
    return Entity(id=eid, user_id=user, name=name or eid, **kw)


def rel(user: str, rid: str, src: str, tgt: str, type: str = "related_to", **kw) -> Relation:
    return Relation(id=rid, user_id=user, source_id=src, target_id=tgt, type=type, **kw)


def chain(store: GraphStore, user: str, names: str = "abcde") -> None:
    """a - b - c - d - e, each relation learned from its own chunk."""
    store.upsert_entities(user, [ent(user, n, n.upper(), provenance=(f"c-{n}",)) for n in names])
    store.upsert_relations(user, [
        rel(user, f"{x}{y}", x, y, weight=float(i + 1), provenance=(f"c-{x}{y}",))
        for i, (x, y) in enumerate(itertools.pairwise(names))
    ])
