"""graph.langchain_retriever: HybridRetriever as a LangChain BaseRetriever."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.embedding import HashEmbedder
from graph.errors import InputError, MissingExtraError
from graph.ingest import Ingestor
from graph.knowledge import KnowledgeBase
from graph.retrieve import HybridRetriever

pytest.importorskip("langchain_core")

from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableLambda

from graph.langchain_retriever import (
    as_langchain_retriever,
    chunk_metadata,
    langchain_retriever_class,
)

CORPUS = [  # (user, title, text, collection)
    ("alice", "Eiffel Tower", "The Eiffel Tower is a wrought-iron lattice tower in Paris.", "travel"),
    ("alice", "Great Wall", "The Great Wall of China is a series of fortifications.", "travel"),
    ("alice", "Neo4j", "Neo4j is a graph database that stores nodes and relationships.", "work"),
    ("alice", "北京大学", "北京大学位于北京市海淀区。", "travel"),
    ("bob", "Bob's secret", "Bob keeps a model of the Eiffel Tower in his garage.", "travel"),
]


@pytest.fixture
def hybrid(tmp_path: Path) -> Iterator[HybridRetriever]:
    with KnowledgeBase(tmp_path / "data", HashEmbedder(128)) as kb:
        ingestor = Ingestor(kb, None)
        for user, title, text, collection in CORPUS:
            ingestor.ingest_text(text, user_id=user, source=f"{title}.txt", title=title,
                                 collection=collection)
        yield HybridRetriever(kb)


def test_invoke_returns_langchain_documents_with_provenance(hybrid):
    retriever = as_langchain_retriever(hybrid, "alice", k=2)
    assert isinstance(retriever, BaseRetriever)
    assert isinstance(retriever, langchain_retriever_class())
    docs = retriever.invoke("Where is the Eiffel Tower?")
    assert len(docs) == 2 and all(isinstance(doc, Document) for doc in docs)
    expected = hybrid.retrieve("Where is the Eiffel Tower?", user_id="alice", k=2).items
    top = docs[0]
    assert top.page_content == CORPUS[0][2] == expected[0].chunk.text
    assert top.id == expected[0].chunk.id
    assert top.metadata == chunk_metadata(expected[0])
    assert top.metadata["title"] == "Eiffel Tower" and top.metadata["source"] == "Eiffel Tower.txt"
    assert top.metadata["document_id"] == expected[0].chunk.document_id
    assert top.metadata["collection"] == "travel" and top.metadata["ordinal"] == 0
    assert top.metadata["score"] == pytest.approx(expected[0].score)
    assert set(top.metadata["ranks"]) <= {"dense", "bm25", "graph"} and top.metadata["ranks"]["bm25"] == 1
    assert [d.metadata["chunk_id"] for d in docs] == [item.chunk.id for item in expected]


async def test_ainvoke_and_abatch(hybrid):
    retriever = as_langchain_retriever(hybrid, "alice", k=1)
    docs = await retriever.ainvoke("北京大学在哪里？")
    assert [d.metadata["title"] for d in docs] == ["北京大学"]
    batches = await retriever.abatch(["graph database", "fortifications"])
    assert [[d.metadata["title"] for d in batch] for batch in batches] == [["Neo4j"], ["Great Wall"]]


def test_batch_and_use_in_a_chain(hybrid):
    retriever = as_langchain_retriever(hybrid, "alice", k=1)
    assert [[d.metadata["title"] for d in b] for b in retriever.batch(["Neo4j", "Great Wall"])] == [
        ["Neo4j"], ["Great Wall"]]
    chain = RunnableLambda(lambda question: question["q"]) | retriever | RunnableLambda(
        lambda docs: "\n".join(d.page_content for d in docs))
    assert chain.invoke({"q": "graph database"}) == CORPUS[2][2]


def test_user_and_collection_are_respected(hybrid):
    bob = as_langchain_retriever(hybrid, "bob", k=5).invoke("Eiffel Tower")
    assert [d.metadata["title"] for d in bob] == ["Bob's secret"]
    alice = as_langchain_retriever(hybrid, "alice", k=5).invoke("Eiffel Tower garage model")
    assert "Bob's secret" not in {d.metadata["title"] for d in alice}
    work = as_langchain_retriever(hybrid, "alice", k=5, collection="work").invoke("tower database")
    assert [d.metadata["title"] for d in work] == ["Neo4j"]
    assert as_langchain_retriever(hybrid, "carol").invoke("Eiffel Tower") == []


def test_bad_arguments_are_input_errors(hybrid):
    with pytest.raises(InputError, match="user_id"):
        as_langchain_retriever(hybrid, "")
    with pytest.raises(InputError, match="at least 1"):
        as_langchain_retriever(hybrid, "alice", k=0)
    with pytest.raises(InputError, match="HybridRetriever"):
        as_langchain_retriever(object(), "alice")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="empty"):
        as_langchain_retriever(hybrid, "alice").invoke("   ")


def test_fields_are_validated_by_pydantic(hybrid):
    from pydantic import ValidationError

    cls = langchain_retriever_class()
    retriever = cls(retriever=hybrid, user_id="alice")
    assert (retriever.k, retriever.collection) == (5, None)
    with pytest.raises(ValidationError):
        cls(retriever="not a retriever", user_id="alice")
    with pytest.raises(ValidationError):
        cls(retriever=hybrid, user_id="alice", k=0)


def test_missing_langchain_names_the_extra(monkeypatch):
    langchain_retriever_class.cache_clear()
    monkeypatch.setitem(sys.modules, "langchain_core.retrievers", None)  # import fails
    try:
        with pytest.raises(MissingExtraError, match=r"congming\[langchain\]"):
            langchain_retriever_class()
    finally:
        langchain_retriever_class.cache_clear()


def test_importing_graph_never_imports_langchain():
    code = ("import sys, graph, graph.retrieve, graph.langchain_retriever; "
            "assert not any(m.startswith('langchain') for m in sys.modules), sorted(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[1])
