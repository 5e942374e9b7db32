"""graph.resolve: normalisation keys, aliases, embedding similarity, type and user limits."""

from __future__ import annotations

import numpy as np
import pytest

from graph.embedding import HashEmbedder
from graph.errors import InputError
from graph.resolve import EntityResolver, name_key, resolve_entities
from graph.types import Entity


def entities(*specs, user="u1"):
    return [Entity(id=f"e{i}", user_id=user, name=name, type=type_, **extra)
            for i, (name, type_, *rest) in enumerate(specs)
            for extra in [rest[0] if rest else {}]]


def merged(decisions):
    return {(d.canonical.name, d.merged.name): d.reason for d in decisions}


@pytest.mark.parametrize(("name", "key"), [
    ("Neo4j", "neo4j"),
    ("NEO4J", "neo4j"),
    ("Neo4j, Inc.", "neo4j"),
    ("Ｎｅｏ４ｊ", "neo4j"),  # full-width, NFKC
    ("The Beatles", "beatles"),
    ("Co.", "co"),  # a legal form alone is kept
    ("阿里巴巴（中国）有限公司", "阿里巴巴中国"),
    ("腾讯公司", "腾讯"),
    ("  Ada   Lovelace ", "adalovelace"),
])
def test_name_key(name, key):
    assert name_key(name) == key


def test_same_key_merges_and_records_reason():
    decisions = resolve_entities(entities(("Neo4j", "other"), ("neo4j", "other"),
                                          ("Neo4j, Inc.", "organization"), ("Paris", "place")))
    assert merged(decisions) == {("Neo4j, Inc.", "Neo4j"): "same key",
                                 ("Neo4j, Inc.", "neo4j"): "same key"}
    canonical = decisions[0].canonical
    assert canonical.id == "e2" and canonical.type == "organization"
    assert set(canonical.aliases) == {"Neo4j", "neo4j"}
    assert all(d.score == 1.0 for d in decisions)


def test_canonical_prefers_mentions_then_casing_then_shorter_name():
    decisions = resolve_entities(entities(("neo4j", "other"), ("Neo4j", "other"),
                                          ("NEO4J", "other", {"properties": {"mentions": 9}})))
    assert {d.canonical.name for d in decisions} == {"NEO4J"}
    decisions = resolve_entities(entities(("neo4j", "other"), ("Neo4j", "other")))
    assert [(d.canonical.name, d.merged.name) for d in decisions] == [("Neo4j", "neo4j")]


def test_incompatible_types_never_merge():
    decisions = resolve_entities(entities(("Jordan", "person"), ("Jordan", "place"),
                                          ("jordan", "concept")))
    assert decisions == []


def test_untyped_joins_the_only_typed_group():
    decisions = resolve_entities(entities(("Jordan", "person"), ("JORDAN", "other")))
    assert merged(decisions) == {("Jordan", "JORDAN"): "same key"}
    assert resolve_entities(entities(("Jordan", "person"), ("Jordan", "place"),
                                     ("JORDAN", "other"))) == []


def test_aliases_from_entities_and_from_a_table():
    found = entities(("International Business Machines", "organization", {"aliases": ("IBM",)}),
                     ("IBM", "organization"), ("Big Blue", "organization"), ("Google", "organization"))
    decisions = EntityResolver(aliases={"big blue": "IBM"}).resolve(found)
    assert merged(decisions) == {
        ("IBM", "International Business Machines"): "alias",  # the shorter name survives
        ("IBM", "Big Blue"): "alias",
    }


def test_similar_names_merge_with_the_score_as_reason():
    found = entities(("Neo4j", "other"), ("Neo4J DB", "other"), ("Postgres", "other"))
    decisions = resolve_entities(found, embedder=HashEmbedder(), threshold=0.5)
    [decision] = decisions
    assert (decision.canonical.name, decision.merged.name) == ("Neo4j", "Neo4J DB")
    assert decision.reason == f"similarity {decision.score:.2f}" and 0.5 <= decision.score < 1
    assert resolve_entities(found, embedder=HashEmbedder(), threshold=0.9) == []


class SameVector:
    """Every name gets the same vector: similarity alone would merge everything."""

    name = "same"
    dim = 4

    def embed(self, texts):
        return np.tile(np.array([1, 0, 0, 0], dtype=np.float32), (len(texts), 1))


def test_meaning_alone_does_not_merge_different_names():
    found = entities(("Paris", "place"), ("London", "place"), ("Parris", "place"),
                     ("Alice Smith", "person"), ("Alice Jones", "person"))
    decisions = resolve_entities(found, embedder=SameVector(), threshold=0.9)
    assert merged(decisions) == {("Paris", "Parris"): "similarity 1.00"}


def test_one_user_at_a_time():
    mixed = entities(("Neo4j", "other")) + entities(("neo4j", "other"), user="u2")
    with pytest.raises(InputError, match="one user"):
        resolve_entities(mixed)


def test_nothing_to_merge():
    assert resolve_entities([]) == []
    assert resolve_entities(entities(("Ada", "person"), ("Bob", "person")),
                            embedder=HashEmbedder()) == []


@pytest.mark.slow
def test_packaged_embedder_merges_neo4j_variants():
    pytest.importorskip("sentence_transformers")
    from graph.embedding import SentenceTransformerEmbedder

    found = entities(("Neo4j", "other"), ("neo4j", "other"), ("Neo4J DB", "other"),
                     ("Paris", "place"), ("London", "place"))
    decisions = resolve_entities(found, embedder=SentenceTransformerEmbedder())
    assert {d.merged.name for d in decisions} == {"neo4j", "Neo4J DB"}
    assert {d.canonical.name for d in decisions} == {"Neo4j"}
