"""BM25 keyword search over chunks (SQLite FTS5, jieba for Chinese)."""

from __future__ import annotations

import pytest

from graph.documents import DocumentStore
from graph.keyword import KeywordIndex, match_expression, tokenize
from graph.sqlite_db import SQLiteDatabase
from graph.types import Chunk, Document


@pytest.fixture
def db(tmp_path):
    database = SQLiteDatabase(tmp_path / "congming.db")
    database.open()
    yield database
    database.close()


def add(db: SQLiteDatabase, user: str, doc_id: str, texts: list[str],
        collection: str = "default") -> dict[str, int]:
    document = Document(id=doc_id, user_id=user, source=f"{doc_id}.txt",
                        content_hash=f"hash-{doc_id}", collection=collection)
    chunks = [Chunk(id=f"{doc_id}#{i}", document_id=doc_id, user_id=user, ordinal=i, text=text,
                    collection=collection) for i, text in enumerate(texts)]
    return DocumentStore(db).add_document(document, chunks).chunk_rowids


ENGLISH = [
    "The Eiffel Tower is a wrought-iron lattice tower in Paris, France.",
    "Paris is the capital of France and its largest city.",
    "The Great Wall of China is a series of fortifications in northern China.",
    "Graph databases such as Neo4j store nodes and relationships.",
]
CHINESE = [
    "北京大学是中国的一所著名大学，位于北京市海淀区。",
    "上海是中国的经济中心，黄浦江穿城而过。",
    "长城是中国古代的军事防御工程。",
]


def test_english_bm25_ranking(db):
    add(db, "u", "en", ENGLISH)
    index = KeywordIndex(db)
    hits = index.search("u", "Eiffel tower Paris")
    assert hits[0].chunk_id == "en#0"
    assert {h.chunk_id for h in hits} == {"en#0", "en#1"}
    assert all(h.score > 0 for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert hits[0].document_id == "en" and isinstance(hits[0].rowid, int)
    assert [h.chunk_id for h in index.search("u", "NEO4J")] == ["en#3"]  # case-insensitive
    assert index.search("u", "submarine") == []


def test_chinese_search_with_jieba(db):
    add(db, "u", "zh", CHINESE)
    index = KeywordIndex(db)
    assert [h.chunk_id for h in index.search("u", "北京")] == ["zh#0"]
    assert [h.chunk_id for h in index.search("u", "大学")] == ["zh#0"]
    assert index.search("u", "上海的经济")[0].chunk_id == "zh#1"
    assert index.search("u", "长城在哪里？")[0].chunk_id == "zh#2"
    assert index.search("u", "纽约") == []


def test_mixed_language_and_full_width(db):
    add(db, "u", "mix", ["我们用Neo4j存储知识图谱。", "ＡＢＣ公司在东京。"])
    index = KeywordIndex(db)
    assert index.search("u", "neo4j")[0].chunk_id == "mix#0"
    assert index.search("u", "知识图谱")[0].chunk_id == "mix#0"
    assert index.search("u", "abc")[0].chunk_id == "mix#1"


def test_japanese_kana_bigrams(db):
    add(db, "u", "ja", ["ありがとうございます。", "さようなら"])
    assert KeywordIndex(db).search("u", "ありがとう")[0].chunk_id == "ja#0"


@pytest.mark.parametrize("query", [
    '"', '""', "'", "AND", "OR NOT", "NEAR(tower paris, 2)", "tower*", "^tower", "tokens:tower",
    "-tower", "tower)", "(((", "{tokens}: x", "a + b", "💥", "\x00", "tower AND", "'; DROP TABLE chunks;--",
])
def test_any_user_text_is_a_safe_query(db, query):
    add(db, "u", "en", ENGLISH)
    hits = KeywordIndex(db).search("u", query)
    assert all(h.chunk_id.startswith("en#") for h in hits)
    if "tower" in query.lower():
        assert hits and hits[0].chunk_id == "en#0"


def test_empty_and_stopword_queries(db):
    add(db, "u", "en", ENGLISH)
    index = KeywordIndex(db)
    assert index.search("u", "") == []
    assert index.search("u", "   ?!  ") == []
    assert index.search("u", "the")  # only stop words: they are used after all
    assert index.search("u", "tower", limit=0) == []
    assert len(index.search("u", "the", limit=2)) == 2


def test_user_and_collection_filtering(db):
    add(db, "u", "a", ["Paris is lovely in spring."], collection="travel")
    add(db, "u", "b", ["Paris climate agreement."], collection="news")
    add(db, "v", "c", ["Paris for someone else."])
    index = KeywordIndex(db)
    assert {h.chunk_id for h in index.search("u", "paris")} == {"a#0", "b#0"}
    assert [h.chunk_id for h in index.search("u", "paris", collection="news")] == ["b#0"]
    assert index.search("u", "paris", collection="other") == []
    assert [h.chunk_id for h in index.search("v", "paris")] == ["c#0"]
    assert index.search("w", "paris") == []


def test_deleted_and_replaced_documents_leave_the_index(db):
    add(db, "u", "en", ENGLISH)
    docs, index = DocumentStore(db), KeywordIndex(db)
    docs.add_document(Document(id="en", user_id="u", source="en.txt", content_hash="new"),
                      [Chunk(id="en#0", document_id="en", user_id="u", ordinal=0,
                             text="Only submarines now.")], replace=True)
    assert index.search("u", "eiffel") == []
    assert [h.chunk_id for h in index.search("u", "submarines")] == ["en#0"]
    docs.delete_document("u", "en")
    assert index.search("u", "submarines") == []
    with db.read() as conn:
        assert conn.execute("SELECT count(*) FROM chunk_fts").fetchone()[0] == 0


def test_tokenize_and_match_expression():
    assert tokenize("Hello, WORLD! e.g. C++") == ["hello", "world", "e", "g", "c"]
    assert set(tokenize("北京大学")) >= {"北京", "大学", "北京大学"}
    assert match_expression("the tower") == '"tower"'
    assert match_expression('say "hi"') == '"say" OR "hi"'
    assert match_expression("...") is None


def test_chunks_with_phrase_needs_consecutive_tokens(db):
    add(db, "u", "en", ENGLISH)
    index = KeywordIndex(db)
    assert index.chunks_with_phrase("u", "Eiffel Tower") == ["en#0"]
    assert index.chunks_with_phrase("u", "EIFFEL   tower") == ["en#0"]
    assert index.chunks_with_phrase("u", "Tower Eiffel") == []  # order matters
    assert index.chunks_with_phrase("u", "Eiffel France") == []  # both present, not adjacent
    assert index.chunks_with_phrase("u", "Paris, France") == ["en#0"]  # punctuation is not a token
    assert sorted(index.chunks_with_phrase("u", "France")) == ["en#0", "en#1"]
    assert index.chunks_with_phrase("u", "Neo4j") == ["en#3"]


def test_chunks_with_phrase_chinese(db):
    add(db, "u", "zh", [*CHINESE, "我在北京大学读书。", "我们用Neo4j存储知识图谱。"])
    index = KeywordIndex(db)
    assert sorted(index.chunks_with_phrase("u", "北京大学")) == ["zh#0", "zh#3"]
    assert sorted(index.chunks_with_phrase("u", "北京")) == ["zh#0", "zh#3"]
    assert index.chunks_with_phrase("u", "黄浦江") == ["zh#1"]
    assert index.chunks_with_phrase("u", "知识图谱") == ["zh#4"]
    assert index.chunks_with_phrase("u", "neo4j") == ["zh#4"]
    assert index.chunks_with_phrase("u", "纽约") == []


@pytest.mark.parametrize("phrase", ["", "   ", "?!", '"', 'say "hi"', "tower*", "NEAR(a b)", "AND OR"])
def test_chunks_with_phrase_is_safe_for_any_text(db, phrase):
    add(db, "u", "en", [*ENGLISH, 'He said "hi" and left.'])
    found = KeywordIndex(db).chunks_with_phrase("u", phrase)
    assert all(chunk_id.startswith("en#") for chunk_id in found)
    if phrase == 'say "hi"':
        assert found == []
    if phrase.strip(' ?!"') == "":
        assert found == []


def test_chunks_with_phrase_user_isolation_and_limit(db):
    add(db, "u", "a", ["Ada Lovelace wrote notes."] * 3)
    add(db, "v", "b", ["Ada Lovelace, again."])
    index = KeywordIndex(db)
    assert sorted(index.chunks_with_phrase("u", "Ada Lovelace")) == ["a#0", "a#1", "a#2"]
    assert index.chunks_with_phrase("v", "Ada Lovelace") == ["b#0"]
    assert index.chunks_with_phrase("w", "Ada Lovelace") == []
    assert len(index.chunks_with_phrase("u", "Ada Lovelace", limit=2)) == 2
    assert index.chunks_with_phrase("u", "Ada Lovelace", limit=0) == []


def test_every_chunk_is_found_by_its_document_title(db):
    document = Document(id="eiffel", user_id="u", source="eiffel.txt", content_hash="h",
                        title="Eiffel Tower")
    chunks = [Chunk(id=f"eiffel#{i}", document_id="eiffel", user_id="u", ordinal=i, text=text)
              for i, text in enumerate(["It was built for the 1889 World's Fair.",
                                        "Gustave's company designed and built it."])]
    DocumentStore(db).add_document(document, chunks)
    add(db, "u", "untitled", ["Nothing about towers here."])
    index = KeywordIndex(db)
    assert {h.chunk_id for h in index.search("u", "eiffel")} == {"eiffel#0", "eiffel#1"}
    assert index.search("u", "1889 eiffel")[0].chunk_id == "eiffel#0"
    assert sorted(index.chunks_with_phrase("u", "Eiffel Tower")) == ["eiffel#0", "eiffel#1"]
    DocumentStore(db).delete_document("u", "eiffel")
    assert index.search("u", "eiffel") == []
