"""How a recalled turn's score reaches the turns around it, and where a turn sits in its session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from graph.embedding import HashEmbedder
from graph.knowledge import KnowledgeBase
from memory.episodic import MEMORY_COLLECTION, Episode, EpisodicMemory
from memory.turn_neighbours import NO_SPREAD, Spread, session_order, spread_scores

T0 = datetime(2030, 5, 8, 13, 56, tzinfo=UTC)
ONLY_NEIGHBOURS = Spread(answered=0.0, neighbour=0.1, session=0.0)


def test_no_spread_keeps_the_scores():
    assert spread_scores({"b": 1.0}, {"b": 0.5}, {"s": ["a", "b", "c"]}, NO_SPREAD) == {"b": 1.0}


def test_a_turn_passes_a_share_to_the_turn_before_and_after_it_only():
    scores = spread_scores({"b": 1.0}, {}, {"s": ["a", "b", "c", "d"]}, ONLY_NEIGHBOURS)
    assert scores == pytest.approx({"a": 0.1, "b": 1.0, "c": 0.1})


def test_a_context_view_counts_for_the_message_it_answers_too():
    spread = Spread(answered=0.5, neighbour=0.0, session=0.0)
    scores = spread_scores({"b": 1.0}, {"b": 0.4}, {"s": ["a", "b"]}, spread)
    assert scores == pytest.approx({"a": 0.2, "b": 1.0})
    assert spread_scores({"a": 1.0}, {"a": 0.4}, {"s": ["a", "b"]}, spread) == {"a": 1.0}  # none before


def test_each_turn_gets_a_share_of_the_rest_of_its_session_and_nothing_of_another():
    spread = Spread(answered=0.0, neighbour=0.0, session=0.1)
    scores = spread_scores({"a": 1.0, "c": 2.0, "x": 5.0}, {}, {"s1": ["a", "b", "c"], "s2": ["x"]}, spread)
    assert scores == pytest.approx({"a": 1.2, "c": 2.1, "x": 5.0})


def test_turns_without_a_known_session_stand_alone():
    assert spread_scores({"a": 1.0, "z": 2.0}, {}, {"s": ["a", "b"]}, Spread()) == \
        pytest.approx({"a": 1.0 + 0.05 * 0.1, "b": 0.1 + 0.05 * 1.0, "z": 2.0})


@pytest.fixture
def kb(tmp_path):
    with KnowledgeBase(tmp_path / "memory", HashEmbedder()) as kb:
        yield kb


def said(user: str, session: str, turn_id: str, text: str, *, minutes: int = 0,
         context: str = "") -> Episode:
    return Episode(user, session, turn_id, T0 + timedelta(minutes=minutes), (("user", text),),
                   context=context)


def test_a_session_is_in_the_order_said_then_stored_and_kept_apart_from_similar_names(kb):
    memory = EpisodicMemory(kb)
    for episode in [said("ann", "s1", "t10", "third", minutes=1), said("ann", "s1", "t2", "first"),
                    said("ann", "s1", "t1", "second"), said("ann", "s10", "t1", "other session"),
                    said("ann", "s1/x", "t1", "a session named like a path"),
                    said("bob", "s1", "t0", "another user's turn")]:
        memory.store(episode)
    order = session_order(kb, "ann", MEMORY_COLLECTION, ["s1", "s1/x"])
    ids = {e.id: e.turn_id for e in memory.episodes("ann")}
    assert [ids[d] for d in order["s1"]] == ["t2", "t1", "t10"]
    assert [ids[d] for d in order["s1/x"]] == ["t1"]
    assert set(order) == {"s1", "s1/x"}


def test_the_turn_before_a_matching_reply_rises_and_other_users_never_come_in(kb):
    plain = EpisodicMemory(kb, answered_share=0.0, neighbour_share=0.0, session_share=0.0)
    spread = EpisodicMemory(kb)
    plain.store(said("ann", "s1", "t1", "I finished reading my new book last night.", minutes=0))
    plain.store(said("ann", "s1", "t2", "Becoming Nicole, about a trans girl and her family.", minutes=1,
                     context="user: I finished reading my new book last night."))
    plain.store(said("ann", "s1", "t3", "The weather is lovely today.", minutes=2))
    plain.store(said("bob", "s1", "t9", "Bob's secret about a trans girl and her family.", minutes=1))
    question = "a story about a trans girl and her family"

    before = {r.episode.turn_id: r.score for r in plain.recall("ann", question, k=3)}
    after = {r.episode.turn_id: r.score for r in spread.recall("ann", question, k=3)}
    assert after["t1"] > before["t1"] and after["t3"] > before["t3"]
    # t1 also gets a share of what its reply's context view earned
    assert after["t1"] - before["t1"] > after["t3"] - before["t3"]
    assert all(r.episode.user_id == "ann" for r in spread.recall("ann", question, k=10))
    assert spread.recall("ann", question, k=1)[0].episode.messages == \
        (("user", "Becoming Nicole, about a trans girl and her family."),)  # shown as said
