"""congming export / import: a knowledge base goes through a file into a fresh data directory and
comes out the same (export -> import -> export gives the same file; retrieval works after it)."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli import app
from graph.embedding import HashEmbedder
from graph.errors import InputError
from graph.ingest import Ingestor
from graph.knowledge import KnowledgeBase
from graph.migrate import ExportFileError, check_file, export_knowledge, import_knowledge
from graph.retrieve import HybridRetriever
from graph.types import Entity, Relation

pytest.importorskip("faiss")

ALICE, BOB = "alice", "bob"
TEXTS = {
    "engine": "Charles Babbage designed the Analytical Engine. Ada Lovelace wrote its first program.",
    "turing": "Alan Turing described a universal machine in 1936 at Cambridge.",
    "北京": "北京大学位于北京市海淀区，是中国著名的高等学府。",
}
WHEN = datetime(2024, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)


def fill(kb: KnowledgeBase) -> None:
    """Documents for two users, a remembered turn, and graph facts of every shape."""
    ingestor = Ingestor(kb, None)
    for name, text in TEXTS.items():
        ingestor.ingest_text(text, user_id=ALICE, source=f"{name}.txt", metadata={"lang": "mixed"})
    ingestor.ingest_text("Bob likes quokkas.", user_id=BOB, source="bob.txt")
    ingestor.ingest_text("User said: I moved to Lisbon.", user_id=ALICE, source="turn-1",
                         collection="memory")
    graph = kb.graph
    graph.upsert_entities(ALICE, [
        Entity("p-ada", ALICE, "Ada Lovelace", "person", ("Ada", "Countess of Lovelace"),
               {"born": 1815, "nested": {"a": [1, 2]}}, ("c-1", "c-2")),
        Entity("p-lisbon", ALICE, "Lisbon", "place", provenance=("turn-1",)),
        Entity("p-london", ALICE, "London", "place", provenance=("c-3",)),
        Entity("p-ldn", ALICE, "LDN", "place", provenance=("c-4",)),
        Entity("p-user", ALICE, "the user", "person", properties={"self": True})])
    graph.upsert_relations(ALICE, [
        Relation("r-lives-old", ALICE, "p-user", "p-london", "lives_in", 2.0, {"source": "chat"},
                 valid_from=WHEN - timedelta(days=400), provenance=("turn-0", "c-3")),
        Relation("r-lives", ALICE, "p-user", "p-lisbon", "lives_in", 1.0, valid_from=WHEN,
                 provenance=("turn-1",)),
        Relation("r-mentor", ALICE, "p-ada", "p-ldn", "visited", 0.5)])
    graph.upsert_relations(ALICE, [Relation("r-lives-old", ALICE, "p-user", "p-london", "lives_in", 3.0,
                                            provenance=("turn-2",))])  # a second, different share
    graph.invalidate_relation(ALICE, "r-lives-old", at=WHEN)
    graph.merge_entities(ALICE, "p-london", "p-ldn", reason="same city")
    graph.add_mentions(ALICE, [("p-ada", "c-9")])


@pytest.fixture
def source_kb(tmp_path: Path):
    with KnowledgeBase(tmp_path / "source", HashEmbedder(128)) as kb:
        fill(kb)
        yield kb


def lines(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def without_time(records: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "exported_at"} for r in records]


def round_trip(kb: KnowledgeBase, tmp_path: Path, name: str = "kb.jsonl") -> tuple[Path, KnowledgeBase]:
    first = tmp_path / name
    export_knowledge(kb, first)
    target = KnowledgeBase(tmp_path / f"target-{name}", HashEmbedder(128))
    target.open()
    import_knowledge(target, first)
    return first, target


def test_export_import_export_gives_the_same_file(source_kb, tmp_path):
    first, target = round_trip(source_kb, tmp_path)
    with target:
        second = tmp_path / "again.jsonl"
        report = export_knowledge(target, second)
    assert without_time(lines(first)) == without_time(lines(second))
    kinds = [r["kind"] for r in lines(first)]
    assert kinds[0] == "header" and kinds[-1] == "end"
    assert report.counts == {"document": 5, "chunk": 5, "entity": report.counts["entity"],
                             "relation": report.counts["relation"], "merge": 1}
    assert report.users == [ALICE, BOB]


def test_the_graph_reads_the_same_after_import(source_kb, tmp_path):
    _, target = round_trip(source_kb, tmp_path)
    with target:
        for user in (ALICE, BOB):
            assert target.graph.stats(user) == source_kb.graph.stats(user)
        ids = ["p-ada", "p-user", "p-london", "p-ldn", "p-lisbon"]
        assert target.graph.get_entities(ALICE, ids) == source_kb.graph.get_entities(ALICE, ids)
        history = ["r-lives-old", "r-lives", "r-mentor"]
        old = target.graph.get_relations(ALICE, history)
        assert old == source_kb.graph.get_relations(ALICE, history)
        assert {r.id: r.weight for r in old}["r-lives-old"] == pytest.approx(5.0)  # 2.0 + 3.0 shares
        assert target.graph.get_relations(ALICE, history, include_history=False) == \
            source_kb.graph.get_relations(ALICE, history, include_history=False)
        assert target.graph.list_merges(ALICE) == source_kb.graph.list_merges(ALICE)
        assert target.graph.mentions(ALICE, entity_ids=["p-ada"]) == \
            source_kb.graph.mentions(ALICE, entity_ids=["p-ada"])
        assert target.graph.find_mentions(ALICE, "the countess of lovelace") == {
            "p-ada": "Countess of Lovelace"}


def test_retrieval_works_after_import_with_vectors_and_keywords_rebuilt(source_kb, tmp_path):
    _, target = round_trip(source_kb, tmp_path)
    with target:
        for query in ("Analytical Engine program", "北京大学", "universal machine"):
            before = HybridRetriever(source_kb).retrieve(query, user_id=ALICE, k=3)
            after = HybridRetriever(target).retrieve(query, user_id=ALICE, k=3)
            assert after.items[0].chunk.id == before.items[0].chunk.id
            # the same scores all the way down (chunks tied at a score may swap: new row ids)
            assert [round(i.score, 9) for i in after.items] == [round(i.score, 9) for i in before.items]
            assert "dense" in after.items[0].signals and "bm25" in after.items[0].signals
        assert len(target.vectors(ALICE)) == target.documents.counts(ALICE)["chunks"]
        memory = target.documents.list_documents(ALICE, collection="memory")
        assert [d.source for d in memory] == ["turn-1"]


def test_gzip_and_one_user(source_kb, tmp_path):
    path = tmp_path / "bob.jsonl.gz"
    report = export_knowledge(source_kb, path, user_ids=[BOB])
    assert path.read_bytes()[:2] == b"\x1f\x8b" and report.users == [BOB]
    assert {r.get("user_id") for r in lines(path)[1:-1]} == {BOB}
    with KnowledgeBase(tmp_path / "t", HashEmbedder(128)) as target:
        imported = import_knowledge(target, path)
        assert imported.embedded_chunks == 1
        assert target.documents.counts(ALICE)["documents"] == 0


def test_progress_is_reported_and_a_failed_export_leaves_nothing(source_kb, tmp_path):
    seen = []
    path = tmp_path / "p.jsonl"
    export_knowledge(source_kb, path, progress=lambda kind, done: seen.append((kind, done)))
    assert seen[-1][1] == sum(1 for r in lines(path) if r["kind"] not in ("header", "end"))
    before = path.read_bytes()

    def stop(kind, done):
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        export_knowledge(source_kb, path, progress=stop)
    assert path.read_bytes() == before  # the old export is untouched
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")) == []


def test_importing_over_existing_knowledge_is_refused(source_kb, tmp_path):
    path = tmp_path / "kb.jsonl"
    export_knowledge(source_kb, path)
    with pytest.raises(InputError, match="already holds knowledge of users"):
        import_knowledge(source_kb, path)


def damaged(tmp_path: Path, source: Path, change) -> Path:
    records = lines(source)
    out = tmp_path / "damaged.jsonl"
    out.write_text("".join(r if isinstance(r, str) else json.dumps(r) + "\n" for r in change(records)),
                   encoding="utf-8")
    return out


@pytest.mark.parametrize(("change", "message"), [
    (lambda rs: rs[:-1], "cut short"),
    (lambda rs: rs[:-3] + rs[-1:], "end record counts"),
    (lambda rs: [{**rs[0], "format": "something-else"}, *rs[1:]], "not a congming export"),
    (lambda rs: [{**rs[0], "version": 99}, *rs[1:]], "Upgrade congming"),
    (lambda rs: [rs[0], "{not json\n", *rs[1:]], "line 2: not JSON"),
    (lambda rs: [rs[0], {**rs[1], "kind": "spaceship"}, *rs[2:]], "unknown record kind"),
    (lambda rs: [rs[0], {k: v for k, v in rs[1].items() if k != "source"}, *rs[2:]], "lacks"),
    (lambda rs: [rs[0], {**rs[1], "user_id": "mallory"}, *rs[2:]], "not in the header"),
    (lambda rs: [*rs, rs[-1]], "after the end record"),
    (lambda rs: [r if r.get("kind") != "relation" else {**r, "target_id": "nowhere"} for r in rs],
     "comes nowhere before it"),
    (lambda rs: [r for r in rs if r.get("kind") != "document"], "comes nowhere before it"),
])
def test_a_damaged_file_is_refused_before_anything_is_written(source_kb, tmp_path, change, message):
    good = tmp_path / "good.jsonl"
    export_knowledge(source_kb, good)
    bad = damaged(tmp_path, good, change)
    with KnowledgeBase(tmp_path / "t", HashEmbedder(128)) as target:
        with pytest.raises(ExportFileError, match=message):
            import_knowledge(target, bad)
        assert target.documents.counts(ALICE)["documents"] == 0 and target.graph.stats(ALICE).entities == 0


@pytest.mark.parametrize("content", [b"\x89PNG\r\n\x1a\n\x00\x00binary", b"", b"[1, 2, 3]\n",
                                     b"\x1f\x8bnot really gzip"])
def test_foreign_files_are_refused(tmp_path, content):
    path = tmp_path / "foreign.bin"
    path.write_bytes(content)
    with pytest.raises(ExportFileError):
        check_file(path)
    with pytest.raises(ExportFileError, match="does not exist"):
        check_file(tmp_path / "missing.jsonl")


def test_the_cli_exports_and_imports(source_kb, tmp_path, clean_env):
    clean_env.setenv("CONGMING_EMBEDDER__BACKEND", "hash")
    clean_env.setenv("CONGMING_KNOWLEDGE__EXTRACTOR", "none")
    clean_env.setenv("CONGMING_DATA_DIR", str(tmp_path / "cli"))
    runner = CliRunner()
    path = tmp_path / "from-cli.jsonl"
    export_knowledge(source_kb, path)
    result = runner.invoke(app, ["import", str(path)])
    assert result.exit_code == 0, result.output
    assert "Imported" in result.stdout and "5 chunks embedded" in result.stdout
    again = runner.invoke(app, ["import", str(path)])
    assert again.exit_code == 1 and "already holds knowledge" in again.output
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["export", str(out), "--user", BOB])
    assert result.exit_code == 0, result.output
    assert "Exported" in result.stdout and {r.get("user_id") for r in lines(out)[1:-1]} == {BOB}
    bad = tmp_path / "bad.jsonl"
    bad.write_text("hello\n", encoding="utf-8")
    refused = runner.invoke(app, ["import", str(bad)])
    assert refused.exit_code == 1 and "not JSON" in refused.output
