"""Episodic memory: turns stored per user and session, recalled across sessions with their time,
idempotent on replay, hard-deleted on forget."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from graph.embedding import HashEmbedder
from graph.knowledge import KnowledgeBase
from memory.episodic import MEMORY_COLLECTION, Episode, EpisodicMemory, passage_of

T0 = datetime(2030, 5, 8, 13, 56, tzinfo=UTC)


@pytest.fixture
def kb(tmp_path):
    with KnowledgeBase(tmp_path / "memory", HashEmbedder()) as kb:
        yield kb


@pytest.fixture
def memory(kb):
    return EpisodicMemory(kb)


def turn(user: str, session: str, turn_id: str, user_text: str, answer: str = "", *, day: int = 0,
         context: str = "") -> Episode:
    messages = (("user", user_text),) + ((("assistant", answer),) if answer else ())
    return Episode(user, session, turn_id, T0 + timedelta(days=day), messages, context=context)


def test_a_turn_is_recalled_in_a_later_session_with_its_time_and_ids(memory):
    memory.store(turn("ann", "s1", "t1", "My cat Miso hates the vacuum cleaner.", "Poor Miso!"))
    memory.store(turn("ann", "s1", "t2", "I am learning to play the cello.", "Nice."))
    memory.store(turn("ann", "s2", "t1", "What is the weather like?", "Sunny.", day=3))

    recalled = memory.recall("ann", "what does my cat Miso hate", k=2)

    assert recalled[0].episode.turn_id == "t1" and recalled[0].episode.session_id == "s1"
    assert recalled[0].episode.at == T0
    passage = passage_of(recalled[0].episode)
    assert passage.text == "user: My cat Miso hates the vacuum cleaner.\nassistant: Poor Miso!"
    assert passage.kind == "turn" and passage.at == T0 and passage.id == recalled[0].episode.id
    assert "2030-05-08 13:56" in passage.source


def test_storing_the_same_turn_again_changes_nothing(memory, kb):
    episode = turn("ann", "s1", "t1", "I moved to Lisbon last spring.", "Welcome!")
    assert memory.store(episode) is True
    counts = kb.documents.counts("ann")
    vectors = len(kb.vectors("ann"))

    assert memory.store(episode) is False

    assert kb.documents.counts("ann") == counts == {"documents": 1, "chunks": 1}
    assert len(kb.vectors("ann")) == vectors == 1
    assert memory.count("ann") == 1


def test_a_changed_turn_with_the_same_id_replaces_the_old_one(memory, kb):
    memory.store(turn("ann", "s1", "t1", "I drive a red bicycle."))
    memory.store(turn("ann", "s1", "t1", "I drive a green scooter."))

    assert [e.messages for e in memory.episodes("ann")] == [(("user", "I drive a green scooter."),)]
    assert kb.keywords.search("ann", "bicycle", collection=MEMORY_COLLECTION) == []
    assert len(kb.vectors("ann")) == 1


def test_the_context_view_finds_a_bare_reply_by_the_question_it_answers(memory, kb):
    memory.store(Episode("ann", "s1", "t5", T0, (("Mel", "Yes, last Friday, it was great!"),),
                         context="Caroline: Did you go to the pottery workshop?"))
    memory.store(Episode("ann", "s1", "t6", T0, (("Mel", "We went hiking in the mountains."),)))

    recalled = memory.recall("ann", "When did Mel go to the pottery workshop?", k=1)

    assert recalled[0].episode.turn_id == "t5"
    assert kb.documents.counts("ann")["chunks"] == 3  # t5: own text + context view; t6: own text
    assert "pottery" not in passage_of(recalled[0].episode).text  # the context is indexed, not shown


def test_recall_can_keep_to_one_session_and_leave_out_turns_already_in_context(memory):
    memory.store(turn("ann", "s1", "t1", "Tea with oat milk is my favourite drink."))
    memory.store(turn("ann", "s2", "t1", "Green tea in the morning keeps me awake.", day=1))

    assert [r.episode.session_id for r in memory.recall("ann", "tea", k=5, session_id="s2")] == ["s2"]
    first = memory.recall("ann", "tea", k=5)
    assert len(first) == 2
    left = memory.recall("ann", "tea", k=5, exclude={first[0].episode.id})
    assert [r.episode.id for r in left] == [first[1].episode.id]


def test_episodes_are_listed_oldest_first_and_per_session(memory):
    memory.store(turn("ann", "s2", "a", "second", day=2))
    memory.store(turn("ann", "s1", "b", "first", day=1))
    memory.store(turn("ann", "s1", "c", "third", day=3))

    assert [e.turn_id for e in memory.episodes("ann")] == ["b", "a", "c"]
    assert [e.turn_id for e in memory.episodes("ann", session_id="s1")] == ["b", "c"]
    assert [e.turn_id for e in memory.episodes("ann", limit=1)] == ["c"]


def test_forget_removes_the_turn_its_keywords_and_vectors(memory, kb):
    memory.store(turn("ann", "s1", "t1", "My locker code is 4711 zebra."))
    memory.store(turn("ann", "s1", "t2", "I like pancakes."))
    gone = memory.episodes("ann")[0]

    assert memory.forget("ann", gone.id) is True
    assert memory.forget("ann", gone.id) is False

    assert [e.turn_id for e in memory.episodes("ann")] == ["t2"]
    assert kb.keywords.search("ann", "zebra 4711") == []
    assert len(kb.vectors("ann")) == 1
    assert all(r.episode.turn_id == "t2" for r in memory.recall("ann", "locker code zebra", k=5))


def test_forget_all_leaves_nothing_readable_on_disk(tmp_path):
    secret = "xylophonequartz"
    with KnowledgeBase(tmp_path / "memory", HashEmbedder()) as kb:
        memory = EpisodicMemory(kb)
        for i in range(30):
            memory.store(turn("ann", "s1", f"t{i}", f"my note {i}: the {secret} is under the mat"))
        memory.store(turn("bob", "s1", "t1", "bob keeps his own notes"))
        kb.save()

        assert memory.forget_all("ann") == 30
        assert memory.episodes("ann") == [] and len(kb.vectors("ann")) == 0
        assert [e.turn_id for e in memory.episodes("bob")] == ["t1"]
    files = [p for p in (tmp_path / "memory").rglob("*") if p.is_file()]
    assert files and not any(secret.encode() in p.read_bytes() for p in files)


def test_a_turn_needs_ids_and_text(memory):
    from graph.errors import InputError

    with pytest.raises(InputError):
        memory.store(turn("ann", "", "t1", "hello"))
    with pytest.raises(InputError):
        memory.store(Episode("ann", "s1", "t1", T0, (("user", "  "),)))


def test_forget_compacts_an_hnsw_index_so_no_vector_is_left_behind(tmp_path):
    with KnowledgeBase(tmp_path / "memory", HashEmbedder(), hnsw_threshold=4) as kb:
        memory = EpisodicMemory(kb)
        for i in range(8):
            memory.store(turn("ann", "s1", f"t{i}", f"turn number {i} about topic {i}"))
        index = kb.vectors("ann")
        assert index.kind == "hnsw"

        assert memory.forget("ann", memory.episodes("ann")[0].id)

        assert index.tombstones == 0 and len(index) == 7
        assert index.compact() == 0


def test_a_turn_is_found_by_the_date_it_was_said_and_by_what_yesterday_meant(memory, kb):
    said = datetime(2023, 5, 8, 13, 56, tzinfo=UTC)
    memory.store(Episode("ann", "s1", "t1", said, (("Caroline", "I went to a support group yesterday."),)))
    memory.store(Episode("ann", "s2", "t1", said + timedelta(days=60),
                         (("Caroline", "I went to a pottery class today."),)))

    def session_of_best(query: str) -> str:
        return memory.recall("ann", query, k=1)[0].episode.session_id

    assert session_of_best("What did Caroline do on 7 May?") == "s1"
    assert session_of_best("Caroline in July 2023") == "s2"
    assert kb.keywords.search("ann", "May", collection=MEMORY_COLLECTION)  # indexed ...
    shown = passage_of(memory.recall("ann", "support group", k=1)[0].episode).text
    assert shown == "Caroline: I went to a support group yesterday."  # ... never shown


def test_inflected_words_find_each_other(memory):
    memory.store(turn("ann", "s1", "t1", "We went hiking in the hills with the kids."))
    memory.store(turn("ann", "s1", "t2", "The weather was lovely in the hills."))

    assert memory.recall("ann", "Where did they hike?", k=1)[0].episode.turn_id == "t1"


def test_a_when_question_prefers_the_turn_that_places_it_in_time(kb):
    turns = [Episode("ann", "s1", "t1", T0, (("Mel", "The pottery workshop was so much fun, I loved it."),)),
             Episode("ann", "s1", "t2", T0, (("Mel", "I went to the pottery workshop last Friday."),))]
    plain, timed = EpisodicMemory(kb, time_boost=0.0), EpisodicMemory(kb, time_boost=1.0)
    for episode in turns:
        plain.store(episode)
    question = "When did Mel go to the pottery workshop?"

    assert timed.recall("ann", question, k=1)[0].episode.turn_id == "t2"
    before = {r.episode.turn_id: r.score for r in plain.recall("ann", question, k=2)}
    after = {r.episode.turn_id: r.score for r in timed.recall("ann", question, k=2)}
    assert after["t2"] == pytest.approx(2 * before["t2"]) and after["t1"] == pytest.approx(before["t1"])
    assert timed.recall("ann", "What did Mel do at the pottery workshop?", k=2)[0].score == \
        plain.recall("ann", "What did Mel do at the pottery workshop?", k=2)[0].score  # not a when-question
