"""Batched ingestion: documents embedded and extracted together, written one by one."""

from __future__ import annotations

import pytest

from graph.embedding import HashEmbedder
from graph.errors import InputError
from graph.extract import Extraction, create_extractor
from graph.ingest import Ingestor
from graph.knowledge import KnowledgeBase
from tests.doc_builders import write
from tests.kb_checks import leftovers, row_counts

pytest.importorskip("faiss")

USER = "ann"
TEXTS = [
    "Alice Johnson met Bob Miller in Paris. They talked about the xylophone festival.",
    "Bob Miller moved to Berlin in 2019 and joined Northwind Labs as lead engineer.",
    "林小姐住在杭州，在阿里巴巴工作。她和王伟一起去了北京。",
    "Northwind Labs opened an office in Paris. Alice Johnson leads the Paris office.\n\n"
    "The xylophone festival returned to Berlin, where Bob Miller played every night.",
    "王伟在北京大学研究人工智能。Alice Johnson visited him in Beijing.",
]


class CountingExtractor:
    """Finds capitalised words; counts how texts arrive."""

    name = "counting"

    def __init__(self) -> None:
        self.batches: list[int] = []
        self.singles = 0

    def extract(self, text: str) -> Extraction:
        self.singles += 1
        return Extraction()

    def extract_many(self, texts):
        self.batches.append(len(texts))
        return [Extraction() for _ in texts]


class PoisonEmbedder(HashEmbedder):
    """Refuses any text containing POISON, as a broken model input might."""

    def embed(self, texts):
        if any("POISON" in t for t in texts):
            raise InputError("this text cannot be embedded")
        return super().embed(texts)


def graph_rows(kb: KnowledgeBase) -> dict[str, set]:
    with kb.db.read() as conn:
        return {
            "mentions": set(conn.execute("SELECT entity_id, source_id FROM entity_sources")),
            "relations": set(conn.execute("SELECT id, round(weight, 6) FROM relations")),
            "names": set(conn.execute("SELECT entity_id, name FROM entity_names")),
            "chunks": set(conn.execute("SELECT id, text FROM chunks")),
        }


@pytest.fixture(scope="module")
def fast_extractor():
    return create_extractor("fast")


def test_batches_store_exactly_what_one_at_a_time_does(tmp_path, fast_extractor):
    paths = [write(tmp_path, f"d{i}.txt", text) for i, text in enumerate(TEXTS)]
    stores = {}
    for batch_chunks in (1, 1000):
        with KnowledgeBase(tmp_path / f"kb{batch_chunks}", HashEmbedder()) as kb:
            ingestor = Ingestor(kb, fast_extractor, chunk_size=40, overlap=8, batch_chunks=batch_chunks)
            report = ingestor.ingest_files(paths, user_id=USER)
            assert [o.status for o in report.outcomes] == ["added"] * len(TEXTS)
            assert leftovers(kb, USER) == {}
            assert len(kb.vectors(USER)) == report.chunks
            stores[batch_chunks] = (row_counts(kb, USER), graph_rows(kb))
    assert stores[1] == stores[1000]
    assert stores[1][1]["mentions"]  # the extractor found something to compare


def test_each_batch_goes_through_extract_many_once(tmp_path):
    extractor = CountingExtractor()
    paths = [write(tmp_path, f"n{i}.txt", f"Note {i} about kiwi{i}.") for i in range(5)]
    with KnowledgeBase(tmp_path / "kb", HashEmbedder()) as kb:
        Ingestor(kb, extractor, batch_chunks=3).ingest_files(paths, user_id=USER)
    assert extractor.batches == [3, 2] and extractor.singles == 0


def test_one_bad_document_fails_alone_and_outcomes_keep_file_order(tmp_path):
    texts = ["Kiwi birds cannot fly.", "POISON pill text.", "Emus cannot fly either.",
             "Penguins swim instead."]
    paths = [write(tmp_path, f"{i}.txt", text) for i, text in enumerate(texts)]
    seen = []
    with KnowledgeBase(tmp_path / "kb", PoisonEmbedder()) as kb:
        report = Ingestor(kb, None, batch_chunks=100).ingest_files(paths, user_id=USER, on_file=seen.append)
        assert len(kb.vectors(USER)) == 3
    assert [o.status for o in report.outcomes] == ["added", "failed", "added", "added"]
    assert "cannot be embedded" in report.outcomes[1].error
    assert [o.source for o in seen] == [str(p.resolve()) for p in paths]


def test_the_same_file_twice_in_one_call_is_written_once(tmp_path):
    path = write(tmp_path, "a.txt", "Kiwi birds cannot fly.")
    with KnowledgeBase(tmp_path / "kb", HashEmbedder()) as kb:
        report = Ingestor(kb, None).ingest_files([path, path], user_id=USER)
        assert [o.status for o in report.outcomes] == ["added", "unchanged"]
        assert kb.documents.counts(USER) == {"documents": 1, "chunks": 1}
