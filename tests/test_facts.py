"""Semantic memory over the embedded SQLite graph store: reinforcement, decay, validity, forgetting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from graph.errors import InputError
from graph.sqlite_store import SQLiteGraphStore
from graph.types import Entity, Relation
from memory.fact_extract import RuleFactExtractor
from memory.facts import FactMemory, Triple
from memory.strength import learned, strength

START = datetime(2031, 3, 1, 9, 0, tzinfo=UTC)  # after the real now on purpose: only the clock counts


class FakeClock:
    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, days: float) -> None:
        self.now += timedelta(days=days)


@pytest.fixture
def store(tmp_path):
    graph = SQLiteGraphStore(tmp_path / "congming.db")
    graph.open()
    yield graph
    graph.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def memory(store, clock) -> FactMemory:
    return FactMemory(store, half_life_days=30.0, min_strength=0.05, clock=clock)


def tell(memory: FactMemory, text: str, turn: str, user: str = "ann", **kw):
    return memory.observe(user, RuleFactExtractor().extract(text), provenance=turn, **kw)


def summary(facts) -> list[tuple[str, str, str]]:
    return [(f.subject, f.relation, f.object) for f in facts]


# ---- the forgetting curve ------------------------------------------------------------------
def test_strength_curve():
    assert [learned(n) for n in (0, 1, 2, 3)] == [0.0, 0.5, 0.75, 0.875]
    assert strength(1, START, START + timedelta(days=30), 30) == pytest.approx(0.25)
    assert strength(2, START, START + timedelta(days=60), 30) == pytest.approx(0.375)  # fades 2x slower
    assert strength(1, START, START - timedelta(days=5), 30) == 0.5  # a clock behind counts as no time
    assert strength(0, START, START, 30) == 0.0


# ---- reinforcement and decay ---------------------------------------------------------------
def test_telling_again_reinforces_the_same_fact(memory, clock):
    (first,) = memory.observe("ann", [Triple("user", "lives_in", "Beijing", "I live in Beijing")],
                              provenance="t1")
    assert first.kind == "new" and first.previous is None
    assert (first.fact.strength, first.fact.reinforcements, first.fact.provenance) == (0.5, 1, ("t1",))
    assert first.fact.first_learned == first.fact.valid_from == START
    clock.advance(3)
    (again,) = memory.observe("ann", [Triple("I", "Lives In", "beijing", "I still live in Beijing")],
                              provenance="t2")
    assert again.kind == "reinforced" and again.fact.id == first.fact.id
    assert again.previous.reinforcements == 1 and again.fact.reinforcements == 2
    assert again.fact.strength == pytest.approx(0.75)
    assert again.fact.last_reinforced == clock.now and again.fact.first_learned == START
    (stored,) = memory.facts("ann")
    assert stored.provenance == ("t1", "t2") and stored.text == "I still live in Beijing"
    assert stored.object == "Beijing"  # the first spelling stays
    clock.advance(1)
    memory.observe("ann", [Triple("user", "lives_in", "Beijing")], provenance="t3")
    (relation,) = memory.graph.get_relations("ann", [first.fact.id])
    assert relation.weight == pytest.approx(3.0)  # one per turn that told it


def test_replaying_a_turn_changes_nothing(memory, clock):
    tell(memory, "I live in Beijing.", "t1")
    clock.advance(1)
    assert tell(memory, "I live in Beijing.", "t1") == []
    (fact,) = memory.facts("ann")
    assert fact.reinforcements == 1 and fact.provenance == ("t1",)


def test_facts_fade_with_time_and_repetition_makes_them_stick(memory, clock):
    tell(memory, "I like jazz.", "t1")
    for turn in ("t2", "t3", "t4"):
        tell(memory, "I love hiking.", turn)
    clock.advance(30)
    by_object = {f.object: f for f in memory.facts("ann")}
    assert by_object["jazz"].strength == pytest.approx(0.25)
    assert by_object["hiking"].strength == pytest.approx(0.875 * 0.5 ** (1 / 3))
    assert [f.object for f in memory.facts("ann")] == ["hiking", "jazz"]  # strongest first


def test_weak_facts_leave_recall_but_are_never_deleted(memory, clock):
    tell(memory, "I like jazz.", "t1")
    assert summary(memory.recall("ann", "what music do I like?", k=5)) == [("user", "likes", "jazz")]
    clock.advance(120)  # four half-lives: 0.5 / 16 < 0.05
    (weak,) = memory.facts("ann")
    assert weak.strength < memory.min_strength and weak.current
    assert memory.recall("ann", "what music do I like?", k=5) == []
    tell(memory, "I like jazz.", "t2")
    assert summary(memory.recall("ann", "what music do I like?", k=5)) == [("user", "likes", "jazz")]


# ---- contradiction, history, retraction ----------------------------------------------------
def test_a_new_value_supersedes_the_old_one_which_stays_in_history(memory, clock):
    tell(memory, "My sister Lin lives in Hangzhou.", "t1")
    clock.advance(100)
    changes = tell(memory, "My sister Lin moved to Shanghai.", "t2")
    superseded = [c for c in changes if c.kind == "superseded"]
    assert len(superseded) == 1
    assert (superseded[0].fact.object, superseded[0].previous.object) == ("Shanghai", "Hangzhou")
    assert superseded[0].previous.valid_to == clock.now and superseded[0].fact.current
    assert ("Lin", "lives_in", "Hangzhou") not in summary(memory.facts("ann"))
    assert ("Lin", "lives_in", "Shanghai") in summary(memory.facts("ann"))
    before, now = START, clock.now
    history = memory.history("ann", "Lin", "lives_in")  # "where did she live before?"
    assert [(f.object, f.valid_from, f.valid_to) for f in history] == [
        ("Shanghai", now, None), ("Hangzhou", before, now)]
    assert ("Lin", "lives_in", "Hangzhou") in summary(memory.facts("ann", include_history=True))


def test_moving_back_opens_a_new_period(memory, clock):
    for turn, city in (("t1", "Beijing"), ("t2", "Shanghai"), ("t3", "Beijing")):
        tell(memory, f"I live in {city}.", turn)
        clock.advance(10)
    history = memory.history("ann", "user", "lives_in")
    assert [(f.object, f.current) for f in history] == [
        ("Beijing", True), ("Shanghai", False), ("Beijing", False)]
    assert history[0].id != history[2].id and history[0].reinforcements == 1
    assert memory.history("ann", "I", "lives in") == history


def test_multi_valued_relations_accumulate(memory):
    tell(memory, "I like cats and dogs. I speak English.", "t1")
    tell(memory, "I like tea. I speak Chinese too.", "t2")
    assert sorted(f.object for f in memory.facts("ann") if f.relation == "likes") == ["cats", "dogs", "tea"]
    assert sorted(f.object for f in memory.facts("ann") if f.relation == "speaks") == ["Chinese", "English"]


def test_liking_and_disliking_the_same_thing_exclude_each_other(memory):
    tell(memory, "I like cilantro.", "t1")
    (change,) = tell(memory, "I hate cilantro.", "t2")
    assert change.kind == "superseded" and change.previous.relation == "likes"
    assert summary(memory.facts("ann")) == [("user", "dislikes", "cilantro")]


def test_saying_a_fact_no_longer_holds_ends_it(memory, clock):
    tell(memory, "I work at Google and I like coffee.", "t1")
    clock.advance(2)
    changes = tell(memory, "I no longer work at Google. I don't like coffee anymore.", "t2")
    assert [(c.kind, c.fact.object, c.fact.valid_to) for c in changes] == [
        ("retracted", "Google", clock.now), ("retracted", "coffee", clock.now)]
    assert memory.facts("ann") == []
    assert [f.object for f in memory.history("ann", "user", "works_at")] == ["Google"]
    assert tell(memory, "I no longer work at Google.", "t3") == []  # nothing left to end


def test_a_late_turn_does_not_override_a_newer_value(memory, clock):
    tell(memory, "I live in Shanghai.", "t2")
    (late,) = tell(memory, "I live in Beijing.", "t1", at=START - timedelta(days=30))
    assert late.kind == "new" and not late.fact.current and late.fact.valid_to == START
    assert summary(memory.facts("ann")) == [("user", "lives_in", "Shanghai")]
    assert [f.object for f in memory.history("ann", "user", "lives_in")] == ["Shanghai", "Beijing"]


def test_chinese_facts_supersede_and_keep_history(memory, clock):
    tell(memory, "我妹妹林住在杭州。", "t1")
    clock.advance(5)
    tell(memory, "我妹妹林搬到上海了。", "t2")
    assert [(f.object, f.current) for f in memory.history("ann", "林", "lives_in")] == [
        ("上海", True), ("杭州", False)]
    assert [f.describe() for f in memory.facts("ann")][:2] == ["林是用户的姐妹。", "林住在上海。"]


# ---- recall --------------------------------------------------------------------------------
def test_recall_ranks_by_match_and_strength(memory, clock):
    tell(memory, "My sister Lin lives in Hangzhou. I work at Alibaba. My favourite colour is blue.", "t1")
    tell(memory, "My brother Bo lives in Paris.", "t2")
    tell(memory, "My brother Bo lives in Paris.", "t3")
    assert summary(memory.recall("ann", "Where does my sister live?", k=1)) == [
        ("Lin", "lives_in", "Hangzhou")]
    assert summary(memory.recall("ann", "where does Bo live", k=1)) == [("Bo", "lives_in", "Paris")]
    assert summary(memory.recall("ann", "What is my favorite color?", k=1)) == [
        ("user", "favourite_color", "blue")]
    assert summary(memory.recall("ann", "Which company do I work for?", k=1)) == [
        ("user", "works_at", "Alibaba")]
    assert len(memory.recall("ann", "where does everyone live", k=2)) == 2
    assert memory.recall("ann", "what do you know?", k=5) == []  # no content words
    assert memory.recall("ann", "Where does my sister live?", k=0) == []


def test_recall_in_chinese(memory):
    tell(memory, "我妹妹林住在杭州，她在阿里巴巴工作。我的生日是5月1日。", "t1")
    assert summary(memory.recall("ann", "我妹妹住在哪里？", k=1)) == [("林", "lives_in", "杭州")]
    assert summary(memory.recall("ann", "我的生日是哪天", k=1)) == [("user", "birthday", "5月1日")]
    assert summary(memory.recall("ann", "林在哪个公司上班", k=1)) == [("林", "works_at", "阿里巴巴")]


def test_recall_leaves_out_superseded_facts(memory, clock):
    tell(memory, "I live in Beijing.", "t1")
    clock.advance(1)
    tell(memory, "I moved to Shanghai.", "t2")
    assert summary(memory.recall("ann", "where do I live", k=5)) == [("user", "lives_in", "Shanghai")]


# ---- forgetting ----------------------------------------------------------------------------
def test_forget_deletes_one_fact_and_what_only_it_used(memory, store):
    tell(memory, "My sister Lin lives in Hangzhou. I like tea.", "t1")
    lives = next(f for f in memory.facts("ann") if f.relation == "lives_in")
    assert memory.forget("ann", lives.id) is True
    assert memory.forget("ann", lives.id) is False
    assert memory.forget("ann", "rel-not-a-fact") is False
    assert memory.history("ann", "Lin", "lives_in") == []
    assert store.search_entities("ann", "Hangzhou") == []  # the place went with its last fact
    assert sorted(f.relation for f in memory.facts("ann")) == ["has_sister", "likes"]


def test_forget_all_removes_facts_and_history_but_not_documents(memory, store, clock):
    store.upsert_entities("ann", [Entity("ent-a", "ann", "Ada", provenance=("doc#0",)),
                                  Entity("ent-b", "ann", "Engine", provenance=("doc#0",))])
    store.upsert_relations("ann", [Relation("rel-ab", "ann", "ent-a", "ent-b", "designed",
                                            provenance=("doc#0",))])
    tell(memory, "I live in Beijing.", "t1")
    clock.advance(1)
    tell(memory, "I moved to Shanghai. I like tea.", "t2")
    assert len(memory.facts("ann", include_history=True)) == 3  # document relations are not facts
    assert memory.forget_all("ann") == 3
    assert memory.facts("ann", include_history=True) == [] and memory.forget_all("ann") == 0
    assert store.stats("ann").relations == 1 and store.stats("ann").entities == 2


def test_forgetting_a_turn_removes_facts_learned_only_from_it(memory, store):
    tell(memory, "I like tea.", "t1")
    tell(memory, "I like tea. I like jazz.", "t2")
    store.delete_by_source("ann", ["t2"])  # what episodic memory does when a turn is forgotten
    (tea,) = memory.facts("ann")
    assert tea.object == "tea" and tea.provenance == ("t1",)


# ---- inputs and ids ------------------------------------------------------------------------
def test_bad_input(memory, store):
    with pytest.raises(InputError, match="provenance"):
        memory.observe("ann", [Triple("user", "likes", "tea")], provenance="")
    assert memory.observe("ann", [Triple("user", "likes", " "), Triple("", "likes", "tea"),
                                  Triple("user", "!!", "tea"), Triple("user", "likes", "x" * 300)],
                          provenance="t1") == []
    with pytest.raises(InputError):
        FactMemory(store, half_life_days=0)
    with pytest.raises(InputError):
        FactMemory(store, min_strength=2)


def test_the_same_fact_gets_the_same_id_in_every_process(store, clock):
    one = FactMemory(store, clock=clock).observe("ann", [Triple("user", "likes", "Tea")], provenance="t1")
    other = FactMemory(store, clock=clock).observe("ann", [Triple("user", "likes", "tea")], provenance="t2")
    assert one[0].fact.id == other[0].fact.id and other[0].kind == "reinforced"
    assert one[0].fact.id.startswith("fact-")
