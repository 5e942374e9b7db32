"""One contract for every GraphStore: the embedded SQLite store now, Neo4j when NEO4J_URI is set."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from graph.errors import InputError
from graph.store import GraphStore
from tests.contract.conftest import chain, ent, rel


def test_implements_the_protocol(store):
    assert isinstance(store, GraphStore)


# ---- entities ------------------------------------------------------------------------
def test_upsert_and_get_entities(store, user):
    assert store.upsert_entities(user, [
        ent(user, "e1", "Neo4j", type="concept", aliases=("neo4j db",), properties={"kind": "db"},
            provenance=("chunk-1",)),
        ent(user, "e2", "北京", type="place"),
    ]) == 2
    e1, e2 = store.get_entities(user, ["e1", "e2"])
    assert (e1.name, e1.type, e1.aliases, e1.properties, e1.provenance) == (
        "Neo4j", "concept", ("neo4j db",), {"kind": "db"}, ("chunk-1",))
    assert (e2.name, e2.type, e2.user_id) == ("北京", "place", user)
    assert store.get_entities(user, ["missing"]) == []
    assert store.upsert_entities(user, []) == 0


def test_upsert_entity_again_merges_aliases_properties_and_provenance(store, user):
    store.upsert_entities(user, [ent(user, "e1", "Neo4j", aliases=("n4j",), properties={"a": 1},
                                     provenance=("c1",))])
    store.upsert_entities(user, [ent(user, "e1", "Neo4j Graph", type="concept",
                                     aliases=("graph db",), properties={"b": 2, "a": 3},
                                     provenance=("c2",))])
    (e1,) = store.get_entities(user, ["e1"])
    assert e1.name == "Neo4j Graph" and e1.type == "concept"
    assert set(e1.aliases) == {"Neo4j", "n4j", "graph db"}  # the old name stays findable
    assert e1.properties == {"a": 3, "b": 2}
    assert set(e1.provenance) == {"c1", "c2"}


def test_items_must_belong_to_the_user_passed(store, user, other_user):
    with pytest.raises(InputError):
        store.upsert_entities(user, [ent(other_user, "e1")])
    with pytest.raises(InputError):
        store.upsert_entities(user, [ent(user, "e1", "   ")])


# ---- relations -----------------------------------------------------------------------
def test_relations_need_existing_endpoints(store, user):
    store.upsert_entities(user, [ent(user, "a")])
    with pytest.raises(InputError, match="unknown entities"):
        store.upsert_relations(user, [rel(user, "r", "a", "nope")])
    assert store.stats(user).relations == 0


def test_upsert_and_get_relations(store, user):
    store.upsert_entities(user, [ent(user, "a"), ent(user, "b")])
    since = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    store.upsert_relations(user, [rel(user, "r1", "a", "b", "works_at", weight=2.5,
                                      properties={"role": "engineer"}, valid_from=since)])
    (r1,) = store.get_relations(user, ["r1"])
    assert (r1.source_id, r1.target_id, r1.type, r1.weight) == ("a", "b", "works_at", 2.5)
    assert r1.properties == {"role": "engineer"}
    assert r1.valid_from == since and r1.valid_to is None


def test_naive_datetimes_are_utc(store, user):
    store.upsert_entities(user, [ent(user, "a"), ent(user, "b")])
    store.upsert_relations(user, [rel(user, "r", "a", "b", valid_from=datetime(2020, 5, 1, 12))])
    (r,) = store.get_relations(user, ["r"])
    assert r.valid_from == datetime(2020, 5, 1, 12, tzinfo=UTC)


def test_weight_is_summed_per_provenance_source_without_double_counting(store, user):
    store.upsert_entities(user, [ent(user, "a"), ent(user, "b")])
    store.upsert_relations(user, [rel(user, "r", "a", "b", weight=2.0, provenance=("c1",))])
    store.upsert_relations(user, [rel(user, "r", "a", "b", weight=3.0, provenance=("c2",))])
    assert store.get_relations(user, ["r"])[0].weight == pytest.approx(5.0)
    store.upsert_relations(user, [rel(user, "r", "a", "b", weight=2.0, provenance=("c1",))])
    (r,) = store.get_relations(user, ["r"])
    assert r.weight == pytest.approx(5.0) and set(r.provenance) == {"c1", "c2"}
    store.delete_by_source(user, ["c1"])
    assert store.get_relations(user, ["r"])[0].weight == pytest.approx(3.0)


def test_weight_without_provenance_is_kept(store, user):
    store.upsert_entities(user, [ent(user, "a"), ent(user, "b")])
    store.upsert_relations(user, [rel(user, "r", "a", "b", weight=4.0)])
    store.upsert_relations(user, [rel(user, "r", "a", "b", weight=7.0)])
    assert store.get_relations(user, ["r"])[0].weight == pytest.approx(7.0)


# ---- neighbours and subgraphs --------------------------------------------------------
def test_neighbours_respect_the_hop_limit(store, user):
    chain(store, user)
    assert [(n.entity.id, n.hops) for n in store.neighbours(user, "a")] == [("b", 1)]
    assert [(n.entity.id, n.hops) for n in store.neighbours(user, "a", hops=2)] == [
        ("b", 1), ("c", 2)]
    assert [(n.entity.id, n.hops) for n in store.neighbours(user, "a", hops=4)] == [
        ("b", 1), ("c", 2), ("d", 3), ("e", 4)]
    assert len(store.neighbours(user, "a", hops=10)) == 4
    with pytest.raises(InputError):
        store.neighbours(user, "a", hops=0)
    assert store.neighbours(user, "nobody") == []


def test_neighbours_follow_both_directions_and_report_the_relation(store, user):
    chain(store, user)
    found = {n.entity.id: n for n in store.neighbours(user, "c")}
    assert set(found) == {"b", "d"}
    assert (found["b"].via.id, found["b"].via.type, found["b"].via.weight) == ("bc", "related_to", 2.0)
    assert (found["d"].via.source_id, found["d"].via.target_id) == ("c", "d")
    # higher weight first within a hop
    assert [n.entity.id for n in store.neighbours(user, "c")] == ["d", "b"]


def test_neighbours_filter_types_and_limit(store, user):
    store.upsert_entities(user, [ent(user, x) for x in "hxyz"])
    store.upsert_relations(user, [
        rel(user, "hx", "h", "x", "likes", weight=3.0),
        rel(user, "hy", "h", "y", "knows", weight=2.0),
        rel(user, "zh", "z", "h", "likes", weight=1.0),
    ])
    assert [n.entity.id for n in store.neighbours(user, "h", relation_types=["likes"])] == ["x", "z"]
    assert [n.entity.id for n in store.neighbours(user, "h", limit=2)] == ["x", "y"]
    assert store.neighbours(user, "h", relation_types=[]) == []


def test_subgraph_has_only_relations_inside_the_set(store, user):
    chain(store, user)
    sub = store.subgraph(user, ["a", "b", "c", "missing"])
    assert {e.id for e in sub.entities} == {"a", "b", "c"}
    assert {r.id for r in sub.relations} == {"ab", "bc"}
    assert store.subgraph(user, []).entities == ()


# ---- validity and history ------------------------------------------------------------
def test_invalidated_relations_stay_in_history(store, user):
    chain(store, user, "abc")
    assert store.invalidate_relation(user, "ab") is True
    assert store.invalidate_relation(user, "ab") is False  # already invalid
    assert store.invalidate_relation(user, "nope") is False
    assert [n.entity.id for n in store.neighbours(user, "a")] == []
    assert [n.entity.id for n in store.neighbours(user, "a", include_history=True)] == ["b"]
    assert store.get_relations(user, ["ab"], include_history=False) == []
    (old,) = store.get_relations(user, ["ab"])
    assert old.valid_to is not None and old.valid_to <= datetime.now(UTC)
    assert {r.id for r in store.subgraph(user, "abc").relations} == {"bc"}
    assert {r.id for r in store.subgraph(user, "abc", include_history=True).relations} == {"ab", "bc"}
    stats = store.stats(user)
    assert (stats.relations, stats.valid_relations) == (2, 1)


def test_invalidation_sticks_when_the_relation_is_upserted_again(store, user):
    chain(store, user, "ab")
    store.invalidate_relation(user, "ab")
    store.upsert_relations(user, [rel(user, "ab", "a", "b", provenance=("c-ab",))])
    assert store.get_relations(user, ["ab"], include_history=False) == []


def test_validity_window_is_checked_against_now(store, user):
    store.upsert_entities(user, [ent(user, x) for x in "abcd"])
    now = datetime.now(UTC)
    store.upsert_relations(user, [
        rel(user, "future", "a", "b", valid_from=now + timedelta(days=1)),
        rel(user, "ending", "a", "c", valid_to=now + timedelta(days=1)),
        rel(user, "ended", "a", "d", valid_from=now - timedelta(days=9), valid_to=now - timedelta(days=1)),
    ])
    assert [n.entity.id for n in store.neighbours(user, "a")] == ["c"]
    assert {n.entity.id for n in store.neighbours(user, "a", include_history=True)} == {"b", "c", "d"}
    assert store.invalidate_relation(user, "ending", at=now) is True
    assert store.neighbours(user, "a") == []


# ---- search by name ------------------------------------------------------------------
def test_search_entities_exact_prefix_contains(store, user):
    store.upsert_entities(user, [
        ent(user, "neo", "Neo4j", aliases=("Neo4J DB",)),
        ent(user, "neon", "Neon lights"),
        ent(user, "graph", "Graph database"),
        ent(user, "pku", "北京大学"), ent(user, "bj", "北京"), ent(user, "nbj", "南北京路"),
    ])
    exact = store.search_entities(user, "  NEO4J ")
    assert exact[0].entity.id == "neo" and exact[0].kind == "exact" and exact[0].score == 1.0
    assert store.search_entities(user, "ｎｅｏ４ｊ")[0].entity.id == "neo"  # full-width forms
    assert store.search_entities(user, "neo4j db")[0].matched == "Neo4J DB"
    prefix = store.search_entities(user, "neo")
    assert [m.entity.id for m in prefix] == ["neo", "neon"] and prefix[0].kind == "prefix"
    contains = store.search_entities(user, "database")
    assert [(m.entity.id, m.kind) for m in contains] == [("graph", "contains")]
    cjk = store.search_entities(user, "北京")
    assert [(m.entity.id, m.kind) for m in cjk] == [("bj", "exact"), ("pku", "prefix"), ("nbj", "contains")]
    assert cjk[0].score > cjk[1].score > cjk[2].score
    assert len(store.search_entities(user, "北京", limit=1)) == 1
    store.upsert_entities(user, [ent(user, "pct", "100% Pure_Juice")])
    assert [m.kind for m in store.search_entities(user, "100%")] == ["prefix"]
    assert [m.entity.id for m in store.search_entities(user, "%")] == ["pct"]  # no LIKE wildcards
    assert [m.entity.id for m in store.search_entities(user, "e_j")] == ["pct"]
    assert store.search_entities(user, "   ") == []
    assert store.search_entities(user, "zzz") == []


# ---- delete by source ----------------------------------------------------------------
def test_delete_by_source_removes_what_only_that_source_supports(store, user):
    store.upsert_entities(user, [
        ent(user, "a", provenance=("doc1#0",)),
        ent(user, "b", provenance=("doc1#0", "doc2#0")),
        ent(user, "c", provenance=("doc2#0",)),
        ent(user, "manual"),  # never had provenance: not touched
    ])
    store.upsert_relations(user, [
        rel(user, "ab", "a", "b", provenance=("doc1#0",)),
        rel(user, "bc", "b", "c", provenance=("doc2#0",)),
        rel(user, "ac", "a", "c", provenance=("doc1#0", "doc2#0")),
    ])
    report = store.delete_by_source(user, ["doc1#0"])
    assert set(report.relation_ids) == {"ab"} and report.relations == 1
    assert set(report.entity_ids) == set()  # a still has relation ac (learned from doc2 too)
    (ac,) = store.get_relations(user, ["ac"])
    assert ac.provenance == ("doc2#0",)
    assert store.get_entities(user, ["b"])[0].provenance == ("doc2#0",)
    report = store.delete_by_source(user, ["doc2#0"])
    assert set(report.relation_ids) == {"bc", "ac"}
    assert set(report.entity_ids) == {"a", "b", "c"}  # a now lost its last relation too
    assert {e.id for e in store.get_entities(user, ["a", "b", "c", "manual"])} == {"manual"}
    assert store.delete_by_source(user, ["unknown"]).entities == 0


def test_delete_by_source_drops_entities_left_without_provenance(store, user):
    chain(store, user, "ab")
    report = store.delete_by_source(user, ["c-a", "c-b", "c-ab"])
    assert set(report.entity_ids) == {"a", "b"} and report.relation_ids == ("ab",)
    assert store.stats(user).entities == 0


# ---- merges --------------------------------------------------------------------------
def test_merge_repoints_relations_keeps_aliases_and_records_it(store, user):
    store.upsert_entities(user, [
        ent(user, "a", "Neo4j", properties={"x": 1}, provenance=("c1",)),
        ent(user, "b", "neo4j DB", aliases=("n4j",), properties={"x": 2, "y": 3},
            provenance=("c2",)),
        ent(user, "c", "Cypher"), ent(user, "d", "Graph"),
    ])
    store.upsert_relations(user, [
        rel(user, "bc", "b", "c", "uses"), rel(user, "db", "d", "b", "about"),
        rel(user, "ab", "a", "b", "same_as"),
    ])
    record = store.merge_entities(user, "a", "b", reason="same name")
    assert (record.kept_id, record.merged_id, record.merged_name, record.reason) == (
        "a", "b", "neo4j DB", "same name")
    (a,) = store.get_entities(user, ["a"])
    assert {"neo4j DB", "n4j"} <= set(a.aliases)
    assert set(a.provenance) == {"c1", "c2"}
    assert a.properties == {"x": 1, "y": 3}  # the kept entity's values win
    bc, db = store.get_relations(user, ["bc", "db"])
    assert (bc.source_id, bc.target_id) == ("a", "c")
    assert (db.source_id, db.target_id) == ("d", "a")
    assert store.get_relations(user, ["ab"]) == []  # would be a self-loop
    assert {n.entity.id for n in store.neighbours(user, "a")} == {"c", "d"}
    assert store.search_entities(user, "n4j")[0].entity.id == "a"
    assert [m.merged_id for m in store.list_merges(user)] == ["b"]
    assert store.stats(user).merges == 1 and store.stats(user).entities == 3


def test_merged_ids_are_redirected(store, user):
    store.upsert_entities(user, [ent(user, "a", "Neo4j"), ent(user, "b", "neo4j"), ent(user, "c")])
    store.merge_entities(user, "a", "b")
    assert [e.id for e in store.get_entities(user, ["b"])] == ["a"]
    store.upsert_entities(user, [ent(user, "b", "Neo4J", provenance=("c9",))])
    assert store.stats(user).entities == 2  # no new "b"
    assert "c9" in store.get_entities(user, ["a"])[0].provenance
    store.upsert_relations(user, [rel(user, "bc", "b", "c")])
    assert store.get_relations(user, ["bc"])[0].source_id == "a"


def test_merge_folds_relations_that_become_duplicates(store, user):
    store.upsert_entities(user, [ent(user, x) for x in "abc"])
    store.upsert_relations(user, [
        rel(user, "ac", "a", "c", "co_occurs", weight=2.0, provenance=("s1",)),
        rel(user, "bc", "b", "c", "co_occurs", weight=3.0, provenance=("s2",)),
    ])
    store.merge_entities(user, "a", "b")
    relations = store.subgraph(user, ["a", "c"]).relations
    assert len(relations) == 1
    assert relations[0].weight == pytest.approx(5.0)
    assert set(relations[0].provenance) == {"s1", "s2"}


def test_merge_needs_two_existing_entities(store, user):
    store.upsert_entities(user, [ent(user, "a")])
    with pytest.raises(InputError):
        store.merge_entities(user, "a", "a")
    with pytest.raises(InputError):
        store.merge_entities(user, "a", "missing")


# ---- find and delete relations ---------------------------------------------------------
def test_find_relations_by_type_source_and_id_prefix(store, user, other_user):
    store.upsert_entities(user, [ent(user, x) for x in "abcd"])
    store.upsert_relations(user, [
        rel(user, "fact-1", "a", "b", "lives_in"), rel(user, "fact-2", "a", "c", "likes"),
        rel(user, "fact-3", "b", "d", "likes"), rel(user, "doc-1", "a", "d", "likes"),
    ])
    store.invalidate_relation(user, "fact-1")
    assert [r.id for r in store.find_relations(user)] == ["doc-1", "fact-2", "fact-3"]
    assert [r.id for r in store.find_relations(user, include_history=True)] == [
        "doc-1", "fact-1", "fact-2", "fact-3"]
    assert [r.id for r in store.find_relations(user, id_prefix="fact-")] == ["fact-2", "fact-3"]
    assert [r.id for r in store.find_relations(user, types=["likes"], source_entity_ids=["a"])] == [
        "doc-1", "fact-2"]
    found = store.find_relations(user, types=["lives_in"], source_entity_ids=["a"], include_history=True)
    assert [(r.id, r.valid_to is not None) for r in found] == [("fact-1", True)]
    assert store.find_relations(user, types=[]) == []
    assert store.find_relations(user, id_prefix="%") == []  # a prefix, never a pattern
    assert store.find_relations(other_user, include_history=True) == []
    store.upsert_entities(user, [ent(user, "a2", "A")])
    store.merge_entities(user, "a2", "a")
    assert [r.id for r in store.find_relations(user, source_entity_ids=["a"])] == ["doc-1", "fact-2"]


def test_delete_relations_removes_them_and_entities_left_bare(store, user, other_user):
    store.upsert_entities(user, [ent(user, "a"), ent(user, "b"), ent(user, "c", provenance=("doc#0",))])
    store.upsert_relations(user, [rel(user, "ab", "a", "b", provenance=("t1",)),
                                  rel(user, "ac", "a", "c", provenance=("t2",))])
    chain(store, other_user, "ab")
    report = store.delete_relations(user, ["ab", "missing"])
    assert report.relation_ids == ("ab",) and report.entity_ids == ("b",)  # a still has ac
    assert store.get_relations(user, ["ab"]) == []
    assert store.delete_by_source(user, ["t1"]).relations == 0  # its provenance went with it
    report = store.delete_relations(user, ["ac"])
    assert report.entity_ids == ("a",)  # c keeps its provenance
    assert {e.id for e in store.get_entities(user, "abc")} == {"c"}
    assert store.delete_relations(user, []).relations == 0
    assert store.delete_relations(other_user, ["nope"]).relations == 0
    assert len(store.get_relations(other_user, ["ab"])) == 1


# ---- isolation -----------------------------------------------------------------------
def test_users_never_see_each_other(store, user, other_user):
    chain(store, user, "abc")
    chain(store, other_user, "abc")
    store.upsert_entities(other_user, [ent(other_user, "only-v", "Secret")])
    assert store.search_entities(user, "secret") == []
    assert store.get_entities(user, ["only-v"]) == []
    assert {e.user_id for e in store.get_entities(user, ["a", "b", "c"])} == {user}
    assert all(n.entity.user_id == user and n.via.user_id == user
               for n in store.neighbours(user, "a", hops=3))
    store.delete_by_source(user, ["c-a", "c-b", "c-c", "c-ab", "c-bc"])
    assert store.stats(user).entities == 0
    assert store.stats(other_user).entities == 4 and store.stats(other_user).relations == 2
    assert store.invalidate_relation(user, "ab") is False
    assert store.get_relations(other_user, ["ab"], include_history=False) != []
    with pytest.raises(InputError):
        store.merge_entities(user, "a", "only-v")
    with pytest.raises(InputError):
        store.upsert_relations(user, [rel(user, "x", "only-v", "only-v")])


# ---- scale ---------------------------------------------------------------------------
def test_batches_of_thousands(store, user):
    n = 3000
    store.upsert_entities(user, [ent(user, f"e{i}", f"Entity {i}", provenance=(f"s{i % 100}",))
                                 for i in range(n)])
    store.upsert_relations(user, [
        rel(user, f"r{i}", f"e{i}", f"e{(i * 7 + 1) % n}", weight=1.0, provenance=(f"s{i % 100}",))
        for i in range(n)
    ] + [rel(user, f"hub{i}", "e0", f"e{i}", "hub") for i in range(1, 2001)])
    stats = store.stats(user)
    assert (stats.entities, stats.relations) == (n, n + 2000)
    assert stats.relation_types == {"related_to": n, "hub": 2000}
    assert len(store.neighbours(user, "e0", relation_types=["hub"])) == 2000
    assert len(store.neighbours(user, "e0", hops=2, limit=50)) == 50
    assert len(store.subgraph(user, [f"e{i}" for i in range(1500)]).entities) == 1500
    report = store.delete_by_source(user, [f"s{i}" for i in range(100)])
    assert report.relations == n
    assert store.stats(user).relations == 2000  # hub relations had no provenance
