"""KeywordIndex.search with a bound on the rows BM25 ranks (max_scored)."""

from __future__ import annotations

import pytest

from graph.documents import DocumentStore
from graph.keyword import KeywordIndex
from graph.sqlite_db import SQLiteDatabase
from graph.types import Chunk, Document


@pytest.fixture
def db(tmp_path):
    database = SQLiteDatabase(tmp_path / "congming.db")
    database.open()
    yield database
    database.close()


def add(db: SQLiteDatabase, user: str, doc_id: str, texts: list[str]) -> None:
    document = Document(id=doc_id, user_id=user, source=f"{doc_id}.txt", content_hash=doc_id)
    chunks = [Chunk(id=f"{doc_id}#{i}", document_id=doc_id, user_id=user, ordinal=i, text=text)
              for i, text in enumerate(texts)]
    DocumentStore(db).add_document(document, chunks)


NOTES = [f"note {i} about the harbour" for i in range(6)] + ["a walrus in the harbour",
                                                              "a walrus on the ice"]


def ids(hits) -> list[str]:
    return [h.chunk_id for h in hits]


def test_below_the_bound_the_ranking_is_exact_bm25(db):
    add(db, "u", "d", NOTES)
    for query in ("walrus harbour", "harbour", "walrus ice note"):
        assert ids(KeywordIndex(db, max_scored=100).search("u", query, limit=20)) == ids(
            KeywordIndex(db, max_scored=None).search("u", query, limit=20))


def test_common_terms_are_left_out_when_rarer_ones_fit(db):
    add(db, "u", "d", NOTES)  # "harbour" is in 7 chunks, "walrus" in 2
    hits = KeywordIndex(db, max_scored=4).search("u", "walrus harbour", limit=20)
    assert sorted(ids(hits)) == ["d#6", "d#7"]
    assert len(KeywordIndex(db, max_scored=None).search("u", "walrus harbour", limit=20)) == 8


def test_a_term_too_common_for_the_bound_ranks_its_newest_matches(db):
    add(db, "u", "d", NOTES)
    hits = KeywordIndex(db, max_scored=3).search("u", "harbour", limit=20)
    assert sorted(ids(hits)) == ["d#4", "d#5", "d#6"]


def test_other_users_best_matches_do_not_crowd_out_this_users(db):
    add(db, "other", "o", ["kiwi kiwi kiwi"] * 30)
    add(db, "u", "d", ["a kiwi among many words in a rather long sentence here"])
    hits = KeywordIndex(db, max_scored=None).search("u", "kiwi", limit=2)
    assert ids(hits) == ["d#0"]
    assert ids(KeywordIndex(db, max_scored=1000).search("other", "kiwi", limit=3)) == ["o#0", "o#1", "o#2"]
