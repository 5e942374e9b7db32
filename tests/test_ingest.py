"""Ingestion end to end: every file type, incremental re-ingest, forgetting, bad files, users."""

from __future__ import annotations

import os

import pytest

from graph.embedding import HashEmbedder
from graph.extract import create_extractor
from graph.ingest import Ingestor, expand_paths
from graph.knowledge import KnowledgeBase, user_key
from graph.retrieve import HybridRetriever
from graph.types import stable_id
from graph.vector import VectorIndex
from graph.vector_files import sidecar_path
from tests.doc_builders import make_docx, make_pdf, write
from tests.kb_checks import dense_search, entity_names, keyword_search, leftovers, row_counts

pytest.importorskip("faiss")
pytest.importorskip("pypdf")
pytest.importorskip("docx")

USER = "ann"

STORY_V1 = ("Alice Johnson met Bob Miller in Paris last spring. They talked about the xylophone "
            "festival for hours.\n\nAlice Johnson later wrote that the xylophone players were superb.")
STORY_V2 = ("Carol Danvers visited Berlin in the autumn. The marimba concert there was sold out.\n\n"
            "Carol Danvers bought a marimba of her own.")
OTHER = "Paris is the capital of France. Dana Scully toured Paris by bicycle and loved the bakeries."


@pytest.fixture(scope="module")
def fast_extractor():
    return create_extractor("fast")


@pytest.fixture
def kb(tmp_path):
    with KnowledgeBase(tmp_path / "kb", HashEmbedder()) as kb:
        yield kb


@pytest.fixture
def ingestor(kb, fast_extractor):
    return Ingestor(kb, fast_extractor, chunk_size=60, overlap=10)


def doc_id(path, user: str = USER) -> str:
    return stable_id("doc", user, "default", str(path.resolve()))


def vector_file(kb: KnowledgeBase, user: str = USER):
    return kb.data_dir / "vectors" / f"chunks-{user_key(user)}.faiss"


def file_state(path) -> tuple[int, int, int]:
    stat = path.stat()
    return stat.st_ino, stat.st_mtime_ns, stat.st_size


def doc_rowids(kb: KnowledgeBase, document_id: str, user: str = USER) -> set[int]:
    chunks = kb.documents.chunks_by_rowid(user, kb.documents.chunk_rowids(user))
    return {rowid for rowid, chunk in chunks.items() if chunk.document_id == document_id}


FILE_TYPES = {
    "txt-utf8": ("notes.txt", "林小姐住在杭州，在阿里巴巴工作。Alice Smith loves the Louvre museum.",
                 "Louvre", "notes", "text/plain"),
    "txt-gbk": ("gbk.txt", "林小姐住在杭州，在阿里巴巴工作。这是一个测试文件。".encode("gbk"),
                "阿里巴巴", "gbk", "text/plain"),
    "md": ("zebra.md", "# Zebra Handbook\n\nZebras graze on the Serengeti plains in large herds.",
           "Serengeti", "Zebra Handbook", "text/markdown"),
    "html": ("page.html", "<html><head><title>Quokka Facts</title><script>var hidden = 1;</script>"
             "</head><body><p>Quokkas live on Rottnest Island near Perth.</p></body></html>",
             "Rottnest", "Quokka Facts", "text/html"),
    "pdf": ("doc.pdf", make_pdf([["Pangolins eat ants and termites."], ["Page two of the notes."]],
                                title="Pangolin Notes"), "termites", "Pangolin Notes", "application/pdf"),
    "docx": ("report.docx", make_docx(), "Quarterly", "Quarterly Report",
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
}


@pytest.mark.parametrize("kind", FILE_TYPES)
def test_each_file_type_ingests_and_is_searchable(tmp_path, kb, ingestor, kind):
    name, data, word, title, media_type = FILE_TYPES[kind]
    path = write(tmp_path, name, data)
    report = ingestor.ingest_files([path], user_id=USER)
    [outcome] = report.outcomes
    assert (outcome.status, outcome.error) == ("added", "")
    assert outcome.document_id == doc_id(path) and outcome.chunks >= 1
    document = kb.documents.get_document(USER, outcome.document_id)
    assert (document.title, document.source) == (title, str(path.resolve()))
    assert document.metadata["media_type"] == media_type
    [found] = keyword_search(kb, USER, word, k=1)
    assert found.document_id == outcome.document_id and word in found.text
    assert dense_search(kb, USER, found.text, k=1) == [found]
    assert "hidden" not in found.text and "\ufffd" not in found.text
    if kind == "txt-gbk":
        assert document.metadata["encoding"] == "gb18030" and "林小姐住在杭州" in found.text
    assert leftovers(kb, USER) == {}


def test_unchanged_files_are_skipped_and_nothing_is_written(tmp_path, kb, ingestor):
    docs = tmp_path / "docs"
    docs.mkdir()
    write(docs, "story.txt", STORY_V1)
    write(docs, "other.md", OTHER)
    first = ingestor.ingest_files([docs], user_id=USER)
    assert [o.status for o in first.outcomes] == ["added", "added"]
    counts, index_file = row_counts(kb, USER), vector_file(kb)
    sidecar = sidecar_path(index_file)
    files_before = (file_state(index_file), file_state(sidecar))

    os.utime(docs / "story.txt")  # a newer mtime alone is no change
    again = ingestor.ingest_files([docs], user_id=USER)
    assert [o.status for o in again.outcomes] == ["unchanged", "unchanged"]
    assert again.chunks_written == 0 and again.chunks == first.chunks
    assert [o.document_id for o in again.outcomes] == [o.document_id for o in first.outcomes]
    assert row_counts(kb, USER) == counts
    assert (file_state(index_file), file_state(sidecar)) == files_before

    kb.close()  # a new process: nothing to repair, nothing rewritten
    with KnowledgeBase(kb.data_dir, HashEmbedder()) as reopened:
        third = Ingestor(reopened, None).ingest_files([docs], user_id=USER)
        assert [o.status for o in third.outcomes] == ["unchanged", "unchanged"]
        assert row_counts(reopened, USER) == counts and leftovers(reopened, USER) == {}
    assert (file_state(index_file), file_state(sidecar)) == files_before


def test_changed_file_replaces_chunks_vectors_and_graph(tmp_path, kb, ingestor):
    story = write(tmp_path, "story.txt", STORY_V1)
    write(tmp_path, "other.txt", OTHER)
    ingestor.ingest_files([story, tmp_path / "other.txt"], user_id=USER)
    old_rowids = doc_rowids(kb, doc_id(story))
    old_texts = [c.text for c in kb.documents.document_chunks(USER, doc_id(story))]
    assert {"Alice Johnson", "Bob Miller", "Paris"} <= entity_names(kb, USER)

    story.write_text(STORY_V2)
    [outcome] = ingestor.ingest_files([story], user_id=USER).outcomes
    assert (outcome.status, outcome.document_id) == ("replaced", doc_id(story))
    assert keyword_search(kb, USER, "xylophone") == []
    assert {c.document_id for c in keyword_search(kb, USER, "marimba")} == {doc_id(story)}
    index = kb.vectors(USER)
    assert old_rowids.isdisjoint(index.ids().tolist())
    for text in old_texts:
        assert all("xylophone" not in chunk.text for chunk in dense_search(kb, USER, text))
    names = entity_names(kb, USER)
    assert not {"Alice Johnson", "Bob Miller"} & names  # only the old version named them
    assert {"Carol Danvers", "Berlin", "Paris", "Dana Scully"} <= names
    assert leftovers(kb, USER) == {}

    kb.close()  # and it is all on disk
    with KnowledgeBase(kb.data_dir, HashEmbedder()) as reopened:
        assert leftovers(reopened, USER) == {} and USER not in reopened.repairs


def test_forget_document_removes_everything_it_brought(tmp_path, kb, ingestor):
    story, other = write(tmp_path, "story.txt", STORY_V1), write(tmp_path, "other.txt", OTHER)
    ingestor.ingest_files([story, other], user_id=USER)
    ingestor.ingest_files([other], user_id="reference")  # what should be left: `other` alone
    assert [d.id for d in ingestor.find_documents(USER, str(story))] == [doc_id(story)]
    assert [d.id for d in ingestor.find_documents(USER, doc_id(story))] == [doc_id(story)]
    story_rowids = doc_rowids(kb, doc_id(story))
    assert {"Alice Johnson", "Bob Miller"} <= entity_names(kb, USER)

    removed = ingestor.forget_document(USER, doc_id(story))
    assert removed is not None and len(removed.chunk_ids) == len(story_rowids)
    assert removed.graph.entities >= 2 and removed.graph.relations >= 1
    assert row_counts(kb, USER) == row_counts(kb, "reference")
    assert entity_names(kb, USER) == entity_names(kb, "reference")
    assert keyword_search(kb, USER, "xylophone") == []
    assert set(kb.vectors(USER).ids().tolist()) == doc_rowids(kb, doc_id(other))
    assert leftovers(kb, USER) == {}
    assert ingestor.forget_document(USER, doc_id(story)) is None
    assert ingestor.find_documents(USER, str(story)) == []

    ingestor.forget_document(USER, doc_id(other))
    assert set(row_counts(kb, USER).values()) == {0} and len(kb.vectors(USER)) == 0
    assert row_counts(kb, "reference")["documents"] == 1


def test_bad_files_fail_one_by_one_and_the_rest_go_in(tmp_path, kb, fast_extractor):
    ingestor = Ingestor(kb, fast_extractor, chunk_size=60, overlap=10, max_bytes=4000)
    pdf = make_pdf([["Hello PDF world."]])
    (tmp_path / "pictures").mkdir()
    write(tmp_path / "pictures", "photo.png", b"\x89PNG\r\n\x1a\n")
    paths = [
        write(tmp_path, "good.txt", OTHER),
        write(tmp_path, "empty.txt", b""),
        write(tmp_path, "noise.txt", bytes(range(256)) * 8),
        write(tmp_path, "broken.pdf", pdf[: len(pdf) // 2]),
        write(tmp_path, "large.txt", "words " * 1000),
        tmp_path / "missing.txt",
        write(tmp_path, "slides.pptx", b"PK\x03\x04 not really"),
        tmp_path / "pictures",
        write(tmp_path, "guide.md", "# Guide\n\nQuokkas live on Rottnest Island."),
    ]
    report = ingestor.ingest_files(paths, user_id=USER)
    expected = {"good.txt": "added", "guide.md": "added", "empty.txt": "is empty",
                "noise.txt": "binary", "broken.pdf": "damaged", "large.txt": "limit",
                "missing.txt": "not found", "slides.pptx": "unsupported file type",
                "pictures": "no files of a supported type"}
    assert len(report.outcomes) == len(paths)
    for path, outcome in zip(paths, report.outcomes, strict=True):
        if expected[path.name] == "added":
            assert (outcome.status, outcome.error) == ("added", "")
        else:
            assert outcome.status == "failed" and outcome.chunks == 0
            assert path.name in outcome.error and expected[path.name] in outcome.error
    assert {d.title for d in kb.documents.list_documents(USER)} == {"good", "Guide"}
    assert keyword_search(kb, USER, "Rottnest") and leftovers(kb, USER) == {}


class ExplodingExtractor:
    """Wraps a real extractor and fails like a buggy one on texts that say BOOM."""

    name = "exploding"

    def __init__(self, inner) -> None:
        self.inner = inner

    def extract(self, text: str):
        if "BOOM" in text:
            raise RuntimeError("extractor bug")
        return self.inner.extract(text)


def test_an_unexpected_error_fails_only_its_file(tmp_path, kb, fast_extractor):
    ingestor = Ingestor(kb, ExplodingExtractor(fast_extractor))
    paths = [write(tmp_path, "a.txt", "BOOM goes the parser."), write(tmp_path, "b.txt", OTHER)]
    first, second = ingestor.ingest_files(paths, user_id=USER).outcomes
    assert first.status == "failed" and "a.txt" in first.error
    assert "unexpected RuntimeError: extractor bug" in first.error
    assert second.status == "added"
    assert [d.title for d in kb.documents.list_documents(USER)] == ["b"]
    assert leftovers(kb, USER) == {}


def test_users_never_see_each_others_documents(tmp_path, kb, ingestor):
    shared = write(tmp_path, "shared.txt", OTHER)
    mine = {"ann": write(tmp_path, "ann.txt", "Ann Lee keeps the flamingo code in Lisbon."),
            "ben": write(tmp_path, "ben.txt", "Ben Park keeps the narwhal code in Oslo.")}
    for user in mine:
        ingestor.ingest_files([shared, mine[user]], user_id=user)
    retriever = HybridRetriever(kb)
    person = {"ann": "Ann Lee", "ben": "Ben Park"}
    for user, other, word, their_word in (("ann", "ben", "flamingo", "narwhal"),
                                          ("ben", "ann", "narwhal", "flamingo")):
        sources = {d.source for d in kb.documents.list_documents(user)}
        assert sources == {str(shared.resolve()), str(mine[user].resolve())}
        assert keyword_search(kb, user, word) and keyword_search(kb, user, their_word) == []
        result = retriever.retrieve(f"who keeps the {their_word} code?", user_id=user, k=10)
        assert result.items and all(item.chunk.user_id == user and item.document.source in sources
                                    for item in result.items)
        their_text = mine[other].read_text()
        assert all(chunk.user_id == user for chunk in dense_search(kb, user, their_text))
        names = entity_names(kb, user)
        assert person[user] in names and person[other] not in names
        assert ingestor.forget_document(user, doc_id(mine[other], other)) is None

    ann_before = row_counts(kb, "ann")
    ingestor.forget_document("ben", doc_id(shared, "ben"))
    assert row_counts(kb, "ann") == ann_before and leftovers(kb, "ann") == {}


def test_folders_are_walked_from_anywhere_and_hidden_entries_skipped(tmp_path, monkeypatch):
    root = tmp_path / ".config" / "docs"  # a folder inside a hidden one is still walked
    (root / "sub").mkdir(parents=True)
    (root / ".git").mkdir()
    for folder, name in ((root, "a.txt"), (root / "sub", "b.md"), (root, ".secret.txt"),
                         (root / ".git", "c.txt"), (root, "image.png")):
        write(folder, name, "text")
    assert [p.name for p in expand_paths([root])] == ["a.txt", "b.md"]
    monkeypatch.chdir(root / "sub")
    assert [p.name for p in expand_paths(["..", "b.md"])] == ["a.txt", "b.md", "b.md"]


def test_long_batches_save_the_vectors_as_they_go(tmp_path, kb):
    ingestor = Ingestor(kb, None, save_every_s=0)
    paths = [write(tmp_path, f"n{i}.txt", f"Note {i} about kiwi{i}.") for i in range(3)]
    on_disk: list[int] = []

    def count_saved_vectors(_path) -> None:
        index = VectorIndex(vector_file(kb), kb.embedder.dim)
        index.open()
        on_disk.append(len(index))

    ingestor.ingest_files(paths, user_id=USER, on_start=count_saved_vectors)
    assert on_disk == [0, 1, 2]


@pytest.mark.model
def test_packaged_minilm_finds_a_paraphrase(tmp_path):
    from graph.embedding import SentenceTransformerEmbedder

    texts = {"bread.txt": "Knead the dough, let it rise for an hour, then bake the loaf at 220 degrees.",
             "stars.txt": "A neutron star is the collapsed core of a massive supergiant star.",
             "goal.txt": "The striker scored in the final minute and the stadium erupted."}
    with KnowledgeBase(tmp_path / "kb", SentenceTransformerEmbedder()) as kb:
        report = Ingestor(kb, None).ingest_files([write(tmp_path, n, t) for n, t in texts.items()],
                                                 user_id=USER)
        assert report.count("added") == 3 and kb.vectors(USER).dim == 384
        [best] = dense_search(kb, USER, "How do I make homemade bread?", k=1)
        assert "dough" in best.text
        assert leftovers(kb, USER) == {}
