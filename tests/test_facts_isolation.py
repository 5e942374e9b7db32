"""Property: whatever users tell, one user's facts never reach another (SQLite graph store)."""

from __future__ import annotations

import tempfile
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.sqlite_store import SQLiteGraphStore
from memory.facts import FactMemory, Triple

USERS = st.sampled_from(["ann", "bob", "chen", "用户甲", "ann "])  # "ann " is not "ann"
SUBJECTS = st.sampled_from(["user", "Lin", "林", "Bo"])
RELATIONS = st.sampled_from(["lives_in", "likes", "dislikes", "works_at", "favourite_color", "has_sister"])
OBJECTS = st.sampled_from(["Hangzhou", "上海", "tea", "Alibaba", "blue", "蓝色", "jazz music", "Lin", "林"])
TELLING = st.tuples(USERS, SUBJECTS, RELATIONS, OBJECTS, st.sampled_from(["t1", "t2", "t3", "t4"]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(TELLING, min_size=1, max_size=25))
def test_users_never_see_each_others_facts(tellings):
    start = datetime(2030, 1, 1, tzinfo=UTC)
    told: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
    with tempfile.TemporaryDirectory() as folder:
        store = SQLiteGraphStore(Path(folder) / "congming.db")
        store.open()
        try:
            memory = FactMemory(store, clock=lambda: start + timedelta(days=len(tellings)))
            for i, (user, subject, relation, object_, turn) in enumerate(tellings):
                if subject == object_:
                    continue
                # the same turn ids for every user: ids are only unique within a user
                memory.observe(user, [Triple(subject, relation, object_, f"{subject} {relation} {object_}")],
                               provenance=turn, at=start + timedelta(days=i))
                told[user].add((subject, relation, object_))
            users = {t[0] for t in tellings}
            for user in users:
                everything = memory.facts(user, include_history=True)
                assert {f.user_id for f in everything} <= {user}
                assert {(f.subject, f.relation, f.object) for f in everything} == told[user]
                for query in ("Hangzhou", "上海 tea", "where does Lin live", "蓝色"):
                    recalled = memory.recall(user, query, k=10)
                    assert {f.id for f in recalled} <= {f.id for f in everything}
                for f in everything:
                    assert all(other == user or memory.forget(other, f.id) is False for other in users)
            forgotten, *kept = sorted(users)
            before = {user: memory.facts(user, include_history=True) for user in kept}
            assert memory.forget_all(forgotten) == len(told[forgotten])
            assert memory.facts(forgotten, include_history=True) == []
            assert {user: memory.facts(user, include_history=True) for user in kept} == before
        finally:
            store.close()
