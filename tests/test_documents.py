"""Documents and chunks in the embedded SQLite database, and the database itself."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from graph.documents import DocumentStore
from graph.errors import CongmingError, InputError
from graph.sqlite_db import SCHEMA_VERSION, SQLiteDatabase
from graph.sqlite_store import SQLiteGraphStore
from graph.types import Chunk, Document, Entity, Relation


@pytest.fixture
def db(tmp_path):
    database = SQLiteDatabase(tmp_path / "data" / "congming.db")
    database.open()
    yield database
    database.close()


def doc(user: str = "u", doc_id: str = "d1", n: int = 3, *, collection: str = "default",
        content_hash: str = "h1", source: str = "notes/a.md") -> tuple[Document, list[Chunk]]:
    document = Document(id=doc_id, user_id=user, source=source, content_hash=content_hash,
                        title="A", collection=collection, metadata={"pages": n, "lang": "zh"})
    chunks = [Chunk(id=f"{doc_id}#{i}", document_id=doc_id, user_id=user, ordinal=i,
                    text=f"chunk {i} of {doc_id}", collection=collection, start=i * 10,
                    end=i * 10 + 9) for i in range(n)]
    return document, chunks


def test_open_sets_wal_foreign_keys_and_schema(db, tmp_path):
    with db.read() as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.version == SCHEMA_VERSION
    db.close()
    db.open()  # re-open: migrations are not applied twice
    assert db.version == SCHEMA_VERSION


def test_no_io_before_open_and_clear_error_when_closed(tmp_path):
    path = tmp_path / "later" / "congming.db"
    database = SQLiteDatabase(path)
    assert not path.parent.exists()
    with pytest.raises(CongmingError, match="open"):
        DocumentStore(database).list_documents("u")


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "congming.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    with pytest.raises(CongmingError, match="newer"):
        SQLiteDatabase(path).open()


def test_add_and_read_back(db):
    docs = DocumentStore(db)
    document, chunks = doc()
    added = docs.add_document(document, chunks)
    assert set(added.chunk_rowids) == {"d1#0", "d1#1", "d1#2"}
    assert docs.get_document("u", "d1") == document
    assert docs.get_document_by_hash("u", "h1") == document
    assert docs.get_document_by_hash("u", "h1", collection="other") is None
    assert docs.get_document_by_source("u", "notes/a.md") == document
    assert docs.document_chunks("u", "d1") == chunks
    assert docs.get_chunks("u", ["d1#2", "nope", "d1#0"]) == [chunks[2], chunks[0]]
    by_rowid = docs.chunks_by_rowid("u", added.chunk_rowids.values())
    assert by_rowid[added.chunk_rowids["d1#1"]] == chunks[1]
    assert docs.chunk_rowids("u") == set(added.chunk_rowids.values())
    assert docs.counts("u") == {"documents": 1, "chunks": 3}


def test_list_documents_by_user_and_collection(db):
    docs = DocumentStore(db)
    for i, collection in enumerate(["a", "a", "b"]):
        docs.add_document(*doc(doc_id=f"d{i}", collection=collection))
    docs.add_document(*doc(user="v", doc_id="d0"))
    assert [d.id for d in docs.list_documents("u")] == ["d0", "d1", "d2"]
    assert [d.id for d in docs.list_documents("u", collection="a")] == ["d0", "d1"]
    assert [d.id for d in docs.list_documents("u", limit=1, offset=1)] == ["d1"]
    assert [d.user_id for d in docs.list_documents("v")] == ["v"]


def test_users_are_isolated_even_with_the_same_ids(db):
    docs = DocumentStore(db)
    u_rows = docs.add_document(*doc(user="u")).chunk_rowids
    v_rows = docs.add_document(*doc(user="v")).chunk_rowids
    assert not set(u_rows.values()) & set(v_rows.values())
    assert docs.chunks_by_rowid("u", v_rows.values()) == {}
    assert docs.get_chunks("v", ["d1#0"])[0].user_id == "v"
    assert docs.chunk_rowids() == set(u_rows.values()) | set(v_rows.values())
    docs.delete_document("u", "d1")
    assert docs.get_document("v", "d1") is not None


def test_invalid_input_is_rejected_and_nothing_is_written(db):
    docs = DocumentStore(db)
    document, chunks = doc()
    wrong_user = [*chunks[:1], Chunk(id="x", document_id="d1", user_id="v", ordinal=1, text="t")]
    with pytest.raises(InputError, match="must have the user"):
        docs.add_document(document, wrong_user)
    with pytest.raises(InputError, match="duplicate"):
        docs.add_document(document, [chunks[0], chunks[0]])
    docs.add_document(document, chunks)
    with pytest.raises(InputError, match="already exists"):
        docs.add_document(document, chunks)
    other, _ = doc(doc_id="d2")
    clash = [Chunk(id="d1#0", document_id="d2", user_id="u", ordinal=0, text="t")]
    with pytest.raises(InputError, match="already used"):
        docs.add_document(other, clash)
    assert docs.get_document("u", "d2") is None  # the failed add was rolled back
    assert docs.counts("u") == {"documents": 1, "chunks": 3}


def test_delete_removes_chunks_and_the_graph_derived_from_them(db):
    docs, graph = DocumentStore(db), SQLiteGraphStore(db)
    rows = docs.add_document(*doc()).chunk_rowids
    docs.add_document(*doc(doc_id="d2", n=1, content_hash="h2"))
    graph.upsert_entities("u", [
        Entity(id="a", user_id="u", name="A", provenance=("d1#0",)),
        Entity(id="b", user_id="u", name="B", provenance=("d1#1", "d2#0")),
    ])
    graph.upsert_relations("u", [Relation(id="ab", user_id="u", source_id="a", target_id="b",
                                          type="co_occurs", provenance=("d1#0",))])
    removed = docs.delete_document("u", "d1")
    assert removed is not None
    assert set(removed.chunk_rowids) == set(rows.values())
    assert removed.chunk_ids == ("d1#0", "d1#1", "d1#2")
    assert removed.graph.entity_ids == ("a",) and removed.graph.relation_ids == ("ab",)
    assert graph.get_entities("u", ["b"])[0].provenance == ("d2#0",)
    assert docs.get_document("u", "d1") is None and docs.document_chunks("u", "d1") == []
    assert docs.delete_document("u", "d1") is None


def test_replace_swaps_chunks_in_one_transaction(db):
    docs = DocumentStore(db)
    old_rows = docs.add_document(*doc(n=3)).chunk_rowids
    document, chunks = doc(n=2, content_hash="h-new")
    added = docs.add_document(document, chunks, replace=True)
    assert added.replaced is not None
    assert set(added.replaced.chunk_rowids) == set(old_rows.values())
    assert not set(added.chunk_rowids.values()) & set(old_rows.values())  # row ids never reused
    assert docs.get_document("u", "d1").content_hash == "h-new"
    assert len(docs.document_chunks("u", "d1")) == 2


def test_concurrent_writers_share_one_store(db):
    docs = DocumentStore(db)
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for i in range(10):
                docs.add_document(*doc(doc_id=f"w{worker}-{i}", n=2))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert docs.counts("u") == {"documents": 40, "chunks": 80}


def test_two_connections_to_one_file(tmp_path):
    path = tmp_path / "congming.db"
    first, second = SQLiteDatabase(path), SQLiteDatabase(path)
    first.open()
    second.open()
    try:
        DocumentStore(first).add_document(*doc())
        assert DocumentStore(second).get_document("u", "d1") is not None
    finally:
        first.close()
        second.close()


def test_connections_racing_to_create_a_new_file(tmp_path):
    path = tmp_path / "new.db"
    databases = [SQLiteDatabase(path) for _ in range(4)]
    errors: list[BaseException] = []

    def open_one(database: SQLiteDatabase) -> None:
        try:
            database.open()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=open_one, args=(d,)) for d in databases]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        assert {d.version for d in databases} == {SCHEMA_VERSION}
    finally:
        for d in databases:
            d.close()
