"""The FAISS vector index: exact and HNSW search, removal, atomic files, consistency repair."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from graph.documents import DocumentStore
from graph.embedding import HashEmbedder
from graph.errors import ConfigError, CongmingError, InputError
from graph.sqlite_db import SQLiteDatabase
from graph.types import Chunk, Document
from graph.vector import VectorIndex
from graph.vector_files import sidecar_path

DIM = 32


def vectors(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)


def opened(path=None, **kw) -> VectorIndex:
    index = VectorIndex(path, DIM, **kw)
    index.open()
    return index


def test_exact_search_with_text_embeddings():
    embedder = HashEmbedder(dim=128)
    texts = ["the cat sat on the mat", "dogs chase cats", "stock markets fell today",
             "北京是中国的首都", "上海是一座大城市"]
    index = VectorIndex(None, 128)
    index.open()
    index.add(range(10, 15), embedder.embed(texts))
    assert index.kind == "flat" and len(index) == 5
    hits = index.search(embedder.embed(["a cat on a mat"])[0], k=2)
    assert hits[0].id == 10 and hits[0].score > hits[1].score
    assert index.search(embedder.embed(["北京首都"])[0], k=1)[0].id == 13
    assert len(index.search(embedder.embed(["x"])[0], k=50)) == 5


def test_search_scores_are_cosine_of_normalised_vectors():
    index = opened()
    data = vectors(20)
    index.add(range(1, 21), data * 7.0)  # scale does not matter
    hit = index.search(data[4], k=1)[0]
    assert hit.id == 5 and hit.score == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("threshold", [10_000, 50], ids=["flat", "hnsw"])
def test_allowed_ids_scope_results_exactly(threshold):
    index = opened(hnsw_threshold=threshold, exact_below=16)
    data = vectors(400)
    index.add(range(1, 401), data)
    assert index.kind == ("flat" if threshold > 400 else "hnsw")
    for allowed in ([7], list(range(300, 310)), list(range(1, 400, 7)), list(range(200, 401))):
        hits = index.search(data[0], k=10, allowed_ids=allowed)
        assert {h.id for h in hits} <= set(allowed)
        assert len(hits) == min(10, len(allowed))
        expected = sorted(allowed, key=lambda i: -float(data[i - 1] @ data[0] / np.linalg.norm(
            data[i - 1]) / np.linalg.norm(data[0])))[:3]
        if threshold > 400 or len(allowed) <= 16:  # exact paths give the exact top
            assert [h.id for h in hits[:3]] == expected
    assert index.search(data[0], k=5, allowed_ids=[]) == []
    assert index.search(data[0], k=5, allowed_ids=[9999]) == []


def test_switches_to_hnsw_past_the_threshold_and_keeps_finding_things():
    index = opened(hnsw_threshold=100)
    data = vectors(300)
    index.add(range(1, 101), data[:100])
    assert index.kind == "flat"
    index.add(range(101, 301), data[100:])
    assert index.kind == "hnsw" and len(index) == 300
    found = sum(index.search(data[i], k=1)[0].id == i + 1 for i in range(0, 300, 10))
    assert found >= 29  # HNSW recall on its own vectors


def test_removal_flat_and_hnsw_with_compaction():
    for threshold in (10_000, 50):
        index = opened(hnsw_threshold=threshold, compact_ratio=0.2)
        data = vectors(200)
        index.add(range(1, 201), data)
        assert index.remove([1, 2, 3, 999]) == 3
        assert index.remove([1]) == 0
        assert 1 not in index and 4 in index and len(index) == 197
        assert all(h.id not in (1, 2, 3) for h in index.search(data[0], k=20))
        assert all(h.id != 2 for h in index.search(data[1], k=5, allowed_ids=[2, 4, 5]))
        index.remove(range(4, 120))  # past compact_ratio: HNSW is rebuilt without tombstones
        assert len(index) == 81 and index.ids()[0] == 120 and index.tombstones == 0
        assert index.kind == ("hnsw" if threshold == 50 else "flat")
        assert index.search(data[150], k=1)[0].id == 151


def test_hnsw_removal_below_the_compaction_ratio_uses_tombstones():
    index = opened(hnsw_threshold=50, compact_ratio=0.5)
    data = vectors(200)
    index.add(range(1, 201), data)
    index.remove(range(1, 51))
    assert index.kind == "hnsw" and len(index) == 150 and index.tombstones == 50
    assert all(h.id > 50 for h in index.search(data[10], k=30))
    assert len(index.search(data[10], k=30)) == 30


def test_re_adding_an_id_replaces_its_vector():
    for threshold in (10_000, 50):
        index = opened(hnsw_threshold=threshold)
        data = vectors(100)
        index.add(range(1, 101), data)
        index.add([5], data[50:51])
        assert len(index) == 100
        hits = index.search(data[50], k=2)
        assert {h.id for h in hits} == {5, 51}
        assert index.search(data[4], k=1)[0].id != 5


def test_bad_input_and_closed_index():
    index = VectorIndex(None, DIM)
    with pytest.raises(CongmingError, match="open"):
        index.add([1], vectors(1))
    index.open()
    with pytest.raises(InputError):
        index.add([1, 2], vectors(1))
    with pytest.raises(InputError):
        index.add([1], np.zeros((1, DIM + 1), dtype=np.float32))
    with pytest.raises(InputError):
        index.add([-1], vectors(1))
    with pytest.raises(InputError):
        index.add([1, 1], vectors(2))
    with pytest.raises(InputError):
        index.search(np.zeros(DIM + 1), k=1)
    assert index.search(vectors(1)[0], k=3) == []


def test_save_and_load_round_trip(tmp_path):
    path = tmp_path / "idx" / "chunks.faiss"
    index = VectorIndex(path, DIM, hnsw_threshold=50, model="hash-32")
    assert not path.parent.exists()  # no I/O in the constructor
    index.open()
    data = vectors(120)
    index.add(range(1, 121), data)
    index.remove([7, 8])
    index.close()  # saves
    assert sorted(p.name for p in path.parent.iterdir()) == ["chunks.faiss", "chunks.faiss.meta.json"]
    again = opened(path, hnsw_threshold=50, model="hash-32")
    assert again.sidecar_ok and again.kind == "hnsw" and len(again) == 118
    assert 7 not in again and again.search(data[0], k=1)[0].id == 1
    assert again.check(set(range(1, 121)) - {7, 8}).ok


def test_open_removes_leftovers_of_a_crashed_save(tmp_path):
    path = tmp_path / "chunks.faiss"
    index = opened(path)
    index.add([1, 2], vectors(2))
    index.save()
    stray = tmp_path / "chunks.faiss.0123abcd.tmp"
    stray.write_bytes(b"half a file")
    stray_meta = tmp_path / "chunks.faiss.meta.json.89ef.tmp"
    stray_meta.write_text("{")
    other = tmp_path / "unrelated.tmp"
    other.write_text("keep me")
    again = opened(path)
    assert not stray.exists() and not stray_meta.exists() and other.exists()
    assert len(again) == 2 and again.sidecar_ok


def test_stale_sidecar_is_detected_and_repair_fixes_it(tmp_path):
    path = tmp_path / "chunks.faiss"
    data = vectors(10)
    index = opened(path)
    index.add(range(1, 6), data[:5])
    index.save()
    old_meta = sidecar_path(path).read_text()
    index.add(range(6, 11), data[5:])
    index.save()
    sidecar_path(path).write_text(old_meta)  # crash between the two renames
    again = opened(path)
    assert not again.sidecar_ok
    report = again.repair(range(1, 11), lambda ids: data[[i - 1 for i in ids]])
    assert report.ok and again.sidecar_ok
    assert opened(path).sidecar_ok


def test_unreadable_index_is_moved_aside_and_rebuilt(tmp_path):
    path = tmp_path / "chunks.faiss"
    path.write_bytes(b"not a faiss index at all")
    data = vectors(5)
    index = opened(path)
    assert len(index) == 0 and index.recovered_from is not None and index.recovered_from.exists()
    report = index.repair(range(1, 6), lambda ids: data[[i - 1 for i in ids]])
    assert report.missing == (1, 2, 3, 4, 5)
    assert opened(path).search(data[2], k=1)[0].id == 3


def test_dimension_or_model_change_is_refused(tmp_path):
    path = tmp_path / "chunks.faiss"
    index = opened(path, model="a")
    index.add([1], vectors(1))
    index.close()
    with pytest.raises(ConfigError, match="Delete"):
        VectorIndex(path, DIM + 1).open()
    with pytest.raises(ConfigError, match="model"):
        VectorIndex(path, DIM, model="b").open()


def test_check_and_repair_missing_and_extra():
    index = opened()
    data = vectors(10)
    index.add(range(1, 8), data[:7])
    report = index.check(range(3, 11))
    assert report.missing == (8, 9, 10) and report.extra == (1, 2) and not report.ok
    asked: list[list[int]] = []

    def vectors_for(ids):
        asked.append(list(ids))
        return data[[i - 1 for i in ids]]

    index.repair(range(3, 11), vectors_for, batch_size=2)
    assert asked == [[8, 9], [10]]
    assert index.check(range(3, 11)).ok
    with pytest.raises(InputError):
        index.repair(range(3, 13), lambda ids: data[:1])  # one vector for two ids


def test_crash_between_sqlite_and_faiss_is_repaired_on_open(tmp_path):
    """The owner's open-time check: SQLite says which chunk row ids must have vectors."""
    embedder = HashEmbedder(dim=DIM)
    db = SQLiteDatabase(tmp_path / "congming.db")
    db.open()
    docs = DocumentStore(db)
    path = tmp_path / "chunks.faiss"
    index = opened(path)

    def add_doc(doc_id: str, texts: list[str]) -> dict[str, int]:
        document = Document(id=doc_id, user_id="u", source=doc_id, content_hash=doc_id)
        chunks = [Chunk(id=f"{doc_id}#{i}", document_id=doc_id, user_id="u", ordinal=i, text=t)
                  for i, t in enumerate(texts)]
        return docs.add_document(document, chunks).chunk_rowids

    rows = add_doc("a", ["apples are red", "bananas are yellow"])
    index.add(list(rows.values()), embedder.embed(["apples are red", "bananas are yellow"]))
    index.save()
    add_doc("b", ["cherries are dark red"])  # committed to SQLite, then a crash before FAISS
    removed = docs.delete_document("u", "a")  # and a delete whose vector removal was lost
    assert removed is not None
    index = opened(path)  # "restart"
    report = index.check(docs.chunk_rowids())
    assert len(report.missing) == 1 and set(report.extra) == set(removed.chunk_rowids)

    def vectors_for(ids):
        texts = docs.texts_by_rowid(ids)
        return embedder.embed([texts[i] for i in ids])

    index.repair(docs.chunk_rowids(), vectors_for)
    hit = index.search(embedder.embed(["dark red cherries"])[0], k=1,
                       allowed_ids=docs.chunk_rowids("u"))[0]
    assert docs.chunks_by_rowid("u", [hit.id])[hit.id].text == "cherries are dark red"
    db.close()


def test_concurrent_adds_and_searches():
    index = opened(hnsw_threshold=150)
    data = vectors(400)
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for start in range(worker * 100, worker * 100 + 100, 10):
                index.add(range(start + 1, start + 11), data[start : start + 10])
                index.search(data[start], k=3)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(index) == 400 and index.kind == "hnsw"
