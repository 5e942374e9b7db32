"""`congming ingest`, `documents` and `forget-document` through the real Typer app."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.components import open_knowledge
from agent.errors import ConfigError
from agent.settings import DEFAULT_USER_ID, Settings
from graph.embedding import HashEmbedder
from graph.knowledge import KnowledgeBase
from tests.doc_builders import write
from tests.kb_checks import entity_names, keyword_search, leftovers, row_counts

pytest.importorskip("faiss")

runner = CliRunner()

ALPHA = "Alice Johnson met Bob Miller in Paris to plan the xylophone festival."
BETA = "# Beta Guide\n\nQuokkas live on Rottnest Island near Perth."


@pytest.fixture
def docs(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    write(folder, "alpha.txt", ALPHA)
    write(folder, "beta.md", BETA)
    return folder


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def summary(result) -> dict[str, int]:
    return {s: int(n) for s, n in re.findall(r"(added|replaced|unchanged|failed)\W+(\d+)", result.stdout)}


def knowledge(tmp_path) -> KnowledgeBase:
    return KnowledgeBase(tmp_path / "data" / "knowledge", HashEmbedder())


def test_ingest_list_and_forget(cli_env, docs, tmp_path):
    cli_env.setenv("CONGMING_KNOWLEDGE__EXTRACTOR", "fast")
    first = invoke("ingest", docs)
    assert first.exit_code == 0, first.output
    assert summary(first) == {"added": 2, "replaced": 0, "unchanged": 0, "failed": 0}
    assert "2 chunks written" in first.stdout
    assert "2/2 files" in first.stderr and "chunks/s" in first.stderr  # the progress bar

    again = invoke("ingest", docs / "alpha.txt", docs / "beta.md")
    assert again.exit_code == 0 and summary(again)["unchanged"] == 2
    assert "0 chunks written" in again.stdout

    listing = invoke("documents")
    assert listing.exit_code == 0
    with knowledge(tmp_path) as kb:
        documents = kb.documents.list_documents(DEFAULT_USER_ID)
        assert {"Alice Johnson", "Paris"} <= entity_names(kb, DEFAULT_USER_ID)
    for document in documents:
        assert re.search(rf"{document.id}\s.*{re.escape(document.title)}\s.*"
                         rf"{re.escape(document.source)}\s.*\s1\s", listing.stdout)

    forgot = invoke("forget-document", docs / "alpha.txt")
    assert forgot.exit_code == 0, forgot.output
    assert f"Forgot {documents[0].id}" in forgot.stdout and "1 chunks" in forgot.stdout
    forgot = invoke("forget-document", documents[1].id)
    assert forgot.exit_code == 0 and f"Forgot {documents[1].id}" in forgot.stdout
    assert "No documents for user 'local'" in invoke("documents").stdout
    with knowledge(tmp_path) as kb:
        assert set(row_counts(kb, DEFAULT_USER_ID).values()) == {0}
        assert leftovers(kb, DEFAULT_USER_ID) == {}

    missing = invoke("forget-document", docs / "alpha.txt")
    assert missing.exit_code == 1 and "no document" in missing.stderr


def test_bad_files_exit_1_and_the_good_ones_stay(cli_env, docs, tmp_path):
    cli_env.setenv("CONGMING_KNOWLEDGE__MAX_FILE_MB", "0.001")  # about 1 KB
    write(docs, "empty.txt", b"")
    write(docs, "huge.txt", "many words " * 200)
    result = invoke("ingest", docs, tmp_path / "missing.pdf")
    assert result.exit_code == 1, result.output
    assert summary(result) == {"added": 2, "replaced": 0, "unchanged": 0, "failed": 3}
    failures = [line for line in result.stdout.splitlines() if line.startswith("failed:")]
    assert len(failures) == 3
    for name, reason in (("empty.txt", "empty"), ("huge.txt", "limit"), ("missing.pdf", "not found")):
        assert any(name in line and reason in line for line in failures), failures
    with knowledge(tmp_path) as kb:
        assert {d.title for d in kb.documents.list_documents(DEFAULT_USER_ID)} == {"alpha", "Beta Guide"}
        assert keyword_search(kb, DEFAULT_USER_ID, "Rottnest")


@pytest.mark.parametrize(("args", "setting", "message"), [
    (["ingest"], None, "Missing argument"),
    (["ingest", "x.txt", "--user", " "], None, "--user must not be empty"),
    (["ingest", "x.txt", "--collection", ""], None, "--collection must not be empty"),
    (["ingest", "x.txt"], ("CONGMING_KNOWLEDGE__CHUNK_OVERLAP", "500"), "chunk_overlap"),
    (["ingest", "x.txt"], ("CONGMING_KNOWLEDGE__EXTRACTOR", "magic"), "extractor"),
    (["documents"], ("CONGMING_EMBEDDER__BACKEND", "magic"), "Unknown embedder backend"),
    (["forget-document"], None, "Missing argument"),
])
def test_bad_arguments_exit_2(cli_env, args, setting, message):
    if setting:
        cli_env.setenv(*setting)
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_users_and_collections_are_kept_apart(cli_env, docs, tmp_path):
    assert invoke("ingest", docs / "alpha.txt").exit_code == 0
    assert invoke("ingest", docs / "beta.md", "--user", "ben").exit_code == 0
    assert invoke("ingest", docs / "alpha.txt", "--collection", "work").exit_code == 0
    mine, bens = invoke("documents"), invoke("documents", "--user", "ben")
    assert mine.stdout.count("alpha.txt") == 2 and "beta.md" not in mine.stdout
    assert "beta.md" in bens.stdout and "alpha.txt" not in bens.stdout
    assert "work" in invoke("documents", "--collection", "work").stdout
    assert "default" not in invoke("documents", "--collection", "work").stdout

    assert invoke("forget-document", docs / "alpha.txt", "--user", "ben").exit_code == 1
    one = invoke("forget-document", docs / "alpha.txt", "--collection", "work")
    assert one.exit_code == 0 and one.stdout.count("Forgot") == 1
    assert invoke("documents").stdout.count("alpha.txt") == 1
    with knowledge(tmp_path) as kb:
        assert row_counts(kb, "ben")["documents"] == 1 and leftovers(kb, "ben") == {}
        assert keyword_search(kb, "ben", "xylophone") == []


def test_help_on_every_knowledge_command():
    for command in ("ingest", "documents", "forget-document"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output and "--user" in result.output


def test_open_knowledge_builds_the_stack_from_settings(tmp_path):
    from agent.llm.structured import JsonCompleter
    from graph.extract_fast import FastExtractor
    from graph.extract_llm import LLMExtractor

    settings = Settings(data_dir=tmp_path, embedder={"backend": "hash"}, llm={"backend": "fake"},
                        knowledge={"chunk_size": 120, "chunk_overlap": 12, "max_file_mb": 2,
                                   "hnsw_threshold": 500})
    kb, ingestor = open_knowledge(settings)
    with kb:
        assert kb.data_dir == tmp_path / "knowledge" and kb.db.is_open
        assert (ingestor.chunk_size, ingestor.overlap, ingestor.max_bytes) == (120, 12, 2 * 1024 * 1024)
        assert kb.hnsw_threshold == 500 and isinstance(kb.embedder, HashEmbedder)
        assert isinstance(ingestor.builder.extractor, FastExtractor)
    for name, kind in (("none", type(None)), ("llm", LLMExtractor)):
        kb, ingestor = open_knowledge(settings.model_copy(
            update={"knowledge": settings.knowledge.model_copy(update={"extractor": name})}))
        kb.close()
        assert isinstance(ingestor.builder.extractor, kind)
    assert isinstance(ingestor.builder.extractor.llm, JsonCompleter)
    with pytest.raises(ConfigError, match="chunk_overlap"):
        Settings.load(knowledge={"chunk_size": 50, "chunk_overlap": 50})
