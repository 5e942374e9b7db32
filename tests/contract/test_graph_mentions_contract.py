"""GraphStore contract: mentions (dictionary entity linking), over every store."""

from __future__ import annotations

import pytest

from graph.errors import InputError
from tests.contract.conftest import ent


# ---- mentions (dictionary entity linking) --------------------------------------------
def test_find_mentions_english_multi_word_names_and_aliases(store, user):
    store.upsert_entities(user, [
        ent(user, "cb", "Charles Babbage", type="person"),
        ent(user, "ibm", "International Business Machines", aliases=("IBM", "Big Blue")),
        ent(user, "nyc", "New York City", aliases=("New York",)),
        ent(user, "paris", "Paris", type="place"),
    ])
    text = "Ada wrote to charles   BABBAGE about Big Blue's engines while in New York City."
    assert store.find_mentions(user, text) == {
        "cb": "Charles Babbage", "ibm": "Big Blue", "nyc": "New York City"}  # the longest name found
    assert store.find_mentions(user, "A trip to New York.") == {"nyc": "New York"}
    assert store.find_mentions(user, "Parisian cafés and a charles-babbage fan") == {}  # whole words only
    assert store.find_mentions(user, "ＰＡＲＩＳ in spring") == {"paris": "Paris"}  # full-width forms
    assert store.find_mentions(user, "") == {}


def test_find_mentions_min_chars(store, user):
    store.upsert_entities(user, [ent(user, "ibm", "International Business Machines", aliases=("IBM",)),
                                 ent(user, "ai", "AI")])
    text = "IBM builds AI systems."
    assert store.find_mentions(user, text) == {}  # shorter than 4 characters: too ambiguous
    assert store.find_mentions(user, text, min_chars=3) == {"ibm": "IBM"}
    assert store.find_mentions(user, text, min_chars=1) == {"ibm": "IBM", "ai": "AI"}


def test_find_mentions_chinese_names(store, user):
    store.upsert_entities(user, [
        ent(user, "pku", "北京大学", type="organization"), ent(user, "bj", "北京", type="place"),
        ent(user, "neo", "Neo4j"), ent(user, "kg", "知识图谱"), ent(user, "one", "京"),
    ])
    assert store.find_mentions(user, "我在北京大学读书。") == {"pku": "北京大学", "bj": "北京"}
    assert store.find_mentions(user, "我们用Neo4j存储知识图谱") == {"neo": "Neo4j", "kg": "知识图谱"}
    assert store.find_mentions(user, "上海是中国的经济中心") == {}


def test_add_mentions_and_read_them_back(store, user):
    store.upsert_entities(user, [ent(user, "a", "Alpha", provenance=("c0",)), ent(user, "b", "Beta")])
    assert store.add_mentions(user, [("a", "c1"), ("a", "c2"), ("b", "c1"), ("a", "c1")]) == 3
    assert store.add_mentions(user, [("a", "c1"), ("a", "c0")]) == 0  # already known
    assert store.add_mentions(user, [("ghost", "c1"), ("b", "c3")]) == 1  # unknown entities skipped
    assert store.add_mentions(user, []) == 0
    assert sorted(store.mentions(user, entity_ids=["a"])) == [("a", "c0"), ("a", "c1"), ("a", "c2")]
    assert sorted(store.mentions(user, source_ids=["c1", "c3"])) == [("a", "c1"), ("b", "c1"), ("b", "c3")]
    assert store.mentions(user, entity_ids=["ghost"]) == []
    assert store.mentions(user, source_ids=[]) == []
    assert set(store.get_entities(user, ["b"])[0].provenance) == {"c1", "c3"}  # a mention is provenance
    with pytest.raises(InputError):
        store.mentions(user)
    with pytest.raises(InputError):
        store.mentions(user, entity_ids=["a"], source_ids=["c1"])


def test_deleting_a_source_removes_its_mentions(store, user):
    store.upsert_entities(user, [ent(user, "a", "Alpha", provenance=("c0",)), ent(user, "b", "Beta")])
    store.add_mentions(user, [("a", "c1"), ("b", "c1")])
    report = store.delete_by_source(user, ["c1"])
    assert store.mentions(user, source_ids=["c1"]) == []
    assert set(report.entity_ids) == {"b"}  # b was only mentioned there
    assert store.mentions(user, entity_ids=["a"]) == [("a", "c0")]


def test_add_mentions_follows_merges(store, user):
    store.upsert_entities(user, [ent(user, "a", "Neo4j"), ent(user, "b", "Neo4J DB")])
    store.merge_entities(user, "a", "b")
    assert store.add_mentions(user, [("b", "c9")]) == 1
    assert store.mentions(user, source_ids=["c9"]) == [("a", "c9")]
    assert store.find_mentions(user, "we run neo4j db here") == {"a": "Neo4J DB"}


def test_mentions_are_isolated_per_user(store, user, other_user):
    store.upsert_entities(user, [ent(user, "shared", "Charles Babbage")])
    store.upsert_entities(other_user, [ent(other_user, "shared", "Charles Babbage"),
                                       ent(other_user, "secret", "Secret Project")])
    assert store.find_mentions(user, "Charles Babbage and the Secret Project") == {
        "shared": "Charles Babbage"}
    assert store.add_mentions(user, [("secret", "c1"), ("shared", "c1")]) == 1
    assert store.mentions(other_user, source_ids=["c1"]) == []
    assert store.mentions(user, entity_ids=["shared", "secret"]) == [("shared", "c1")]
    store.delete_by_source(other_user, ["c1"])
    assert store.mentions(user, source_ids=["c1"]) == [("shared", "c1")]


def test_mentions_leave_out_entities_past_max_per_entity(store, user):
    store.upsert_entities(user, [ent(user, "pop", "Popular", provenance=("c1", "c2", "c3")),
                                 ent(user, "rare", "Rare", provenance=("c1",)),
                                 ent(user, "topic", "Topic", properties={"topic": True},
                                     provenance=("c2", "c4"))])
    ids = ["pop", "rare", "topic", "rare"]
    assert sorted(store.mentions(user, entity_ids=ids, max_per_entity=2)) == [
        ("rare", "c1"), ("topic", "c2"), ("topic", "c4")]
    assert len(store.mentions(user, entity_ids=ids, max_per_entity=3)) == 6
    assert sorted(store.mentions(user, entity_ids=ids, max_per_entity=2, topics_only=True)) == [
        ("topic", "c2"), ("topic", "c4")]
    with pytest.raises(InputError):
        store.mentions(user, source_ids=["c1"], max_per_entity=2)


def test_existing_entities_are_per_user_and_not_merged_away(store, user, other_user):
    store.upsert_entities(user, [ent(user, "a", "Alpha", provenance=("c1",)),
                                 ent(user, "b", "Alfa", provenance=("c2",))])
    store.upsert_entities(other_user, [ent(other_user, "z", "Zed", provenance=("c9",))])
    assert store.existing_entities(user, ["a", "b", "z", "ghost"]) == {"a", "b"}
    store.merge_entities(user, "a", "b")
    assert store.existing_entities(user, ["a", "b"]) == {"a"}
    assert store.existing_entities(user, []) == set()
