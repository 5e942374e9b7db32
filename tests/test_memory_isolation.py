"""Property: whatever users say and ask, one user's turns and facts never reach another user's
recall, pinned facts or memories, and nobody can forget what is not theirs."""

from __future__ import annotations

import tempfile
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.embedding import HashEmbedder
from graph.knowledge import KnowledgeBase
from graph.store import normalise_name
from memory.fact_extract import RuleFactExtractor
from memory.facts import FactMemory
from memory.long_term import LongTermMemory

USERS = st.sampled_from(["ann", "bob", "chen", "用户甲", "ann "])  # "ann " is not "ann"
SAID = st.sampled_from([
    "I live in Hangzhou.", "I live in Berlin.", "I like jazz music.", "I like green tea.",
    "My favourite color is blue.", "I work at Alibaba.", "我住在上海。", "我喜欢喝茶。",
    "My sister Lin lives in Paris.", "What is the capital of France?", "Tell me a joke about cats.",
])
SESSIONS = st.sampled_from(["s1", "s2"])
TURNS = st.lists(st.tuples(USERS, SESSIONS, SAID), min_size=1, max_size=12)
QUERIES = ("where do I live", "jazz", "tea 茶", "what do I like", "Lin Paris", "上海", "cats joke")


def _memory(folder: str, start: datetime) -> LongTermMemory:
    kb = KnowledgeBase(Path(folder) / "memory", HashEmbedder())
    facts = FactMemory(kb.graph, clock=lambda: start + timedelta(days=30))
    return LongTermMemory(kb, facts, RuleFactExtractor(), owns_kb=True, clock=lambda: start)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TURNS, st.lists(st.tuples(USERS, SAID), max_size=3))
def test_users_never_see_or_forget_each_others_memories(turns, remembered):
    start = datetime(2030, 1, 1, tzinfo=UTC)
    texts: dict[str, set[str]] = defaultdict(set)
    with tempfile.TemporaryDirectory() as folder:
        memory = _memory(folder, start).open(worker=False)
        try:
            for i, (user, session, said) in enumerate(turns):
                # the same turn ids for every user: ids are only unique within a user
                memory.schedule_turn(user, session, said, f"ok {i}", turn_id=f"t{i}",
                                     at=start + timedelta(hours=i))
                texts[user].add(f"user: {said}\nassistant: ok {i}")
            for user, said in remembered:
                memory.remember(user, said)
            assert memory.drain(timeout=120)

            users = {u for u, _, _ in turns} | {u for u, _ in remembered}
            owned = {u: _owned_ids(memory, u) for u in users}
            for user in users:
                _check_reads(memory, user, owned[user], texts[user])
                for other in users - {user}:
                    assert not any(memory.forget(other, ref) for ref in owned[user])
            assert {u: _owned_ids(memory, u) for u in users} == owned

            gone, *kept = sorted(users)
            memory.forget_all(gone)
            assert _owned_ids(memory, gone) == set()
            assert all(memory.recall(gone, q, k=10) == [] for q in QUERIES)
            assert {u: _owned_ids(memory, u) for u in kept} == {u: owned[u] for u in kept}
        finally:
            memory.close()


def _owned_ids(memory: LongTermMemory, user: str) -> set[str]:
    return {f.id for f in memory.facts.facts(user, include_history=True)} | {
        e.id for e in memory.turns(user)}


def _check_reads(memory: LongTermMemory, user: str, owned: set[str], texts: set[str]) -> None:
    assert {e.user_id for e in memory.turns(user)} <= {user}
    assert {e.text for e in memory.turns(user)} == texts
    facts = memory.memories(user)
    assert {f.user_id for f in facts} <= {user}
    kin = memory.facts.kin(user)
    assert {normalise_name(f.object) for f in kin.values()} <= {normalise_name(f.object) for f in facts}
    own_sentences = {f.describe(kin) or f.text for f in facts}
    assert {p.text for p in memory.pinned_facts(user, limit=50)} <= own_sentences
    # recall gives what the user said, never the assistant's reply
    said = {text.split("\nassistant: ")[0].removeprefix("user: ") for text in texts}
    for query in QUERIES:
        for passage in memory.recall(user, query, k=10):
            assert passage.id in owned
            assert passage.text in (own_sentences if passage.kind == "fact" else said)
