"""The hybrid retriever as a LangChain ``BaseRetriever``, for one user.

langchain_core is optional (extra "langchain"), so the class is built on first use:
``as_langchain_retriever(retriever, user_id)`` gives an instance, ``langchain_retriever_class()``
the class. Importing this module never imports LangChain.

Each LangChain ``Document`` has the chunk's text as ``page_content``, the chunk id as ``id``,
and in ``metadata``: chunk_id, document_id, title, source, collection, ordinal, score (the
fused reciprocal-rank score) and ranks (signal name -> 1-based rank within that signal).
``ainvoke`` runs the (blocking) retrieval in a worker thread.

``k`` and ``collection`` may also be given per call: ``retriever.invoke(query, k=1)``.
"""

from __future__ import annotations

import asyncio
from functools import cache
from typing import Any

from graph.errors import InputError, require
from graph.retrieve import HybridRetriever, RetrievedChunk

_PURPOSE = "The LangChain retriever"


def chunk_metadata(item: RetrievedChunk) -> dict[str, Any]:
    """What a LangChain Document carries about where its text came from and how it ranked."""
    document = item.document
    return {
        "chunk_id": item.chunk.id,
        "document_id": item.chunk.document_id,
        "title": document.title if document else "",
        "source": document.source if document else "",
        "collection": item.chunk.collection,
        "ordinal": item.chunk.ordinal,
        "score": item.score,
        "ranks": {name: hit.rank for name, hit in item.signals.items()},
    }


@cache
def langchain_retriever_class() -> type:
    """The ``BaseRetriever`` subclass (built once; needs langchain_core)."""
    retrievers = require("langchain_core.retrievers", "langchain", _PURPOSE)
    documents = require("langchain_core.documents", "langchain", _PURPOSE)
    from pydantic import ConfigDict, Field

    class CongmingRetriever(retrievers.BaseRetriever):
        """congming's hybrid retrieval (dense + BM25 + graph) over one user's knowledge base."""

        model_config = ConfigDict(arbitrary_types_allowed=True)

        retriever: HybridRetriever
        user_id: str = Field(min_length=1)
        k: int = Field(default=5, ge=1)
        collection: str | None = None

        def _get_relevant_documents(self, query: str, *, run_manager: Any, k: int | None = None,
                                    collection: str | None = None, **options: Any) -> list[Any]:
            """``k`` / ``collection`` given: this call's, instead of the retriever's."""
            _check_options(options)
            k = self.k if k is None else _checked_k(k)
            result = self.retriever.retrieve(query, user_id=self.user_id, k=k,
                                             collection=self.collection if collection is None else collection)
            return [documents.Document(page_content=item.chunk.text, metadata=chunk_metadata(item),
                                       id=item.chunk.id)
                    for item in result.items]

        async def _aget_relevant_documents(self, query: str, *, run_manager: Any, k: int | None = None,
                                           collection: str | None = None, **options: Any) -> list[Any]:
            return await asyncio.to_thread(self._get_relevant_documents, query, k=k, collection=collection,
                                           run_manager=run_manager.get_sync(), **options)

    return CongmingRetriever


# LangChain passes invoke()'s keyword arguments through; these it adds itself.
_LANGCHAIN_OPTIONS = frozenset({"verbose"})


def _check_options(options: dict[str, Any]) -> None:
    unknown = sorted(set(options) - _LANGCHAIN_OPTIONS)
    if unknown:
        raise InputError(f"The congming retriever takes k and collection per call, not {', '.join(unknown)}.")


def _checked_k(k: Any) -> int:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise InputError(f"k is the number of documents to return; it must be at least 1, got {k!r}.")
    return k


def as_langchain_retriever(retriever: HybridRetriever, user_id: str, *, k: int = 5,
                           collection: str | None = None) -> Any:
    """A LangChain retriever over ``user_id``'s documents (optionally one collection)."""
    if not isinstance(retriever, HybridRetriever):
        raise InputError(f"as_langchain_retriever needs a HybridRetriever, got {type(retriever).__name__}.")
    if not isinstance(user_id, str) or not user_id:
        raise InputError("as_langchain_retriever needs the user_id whose documents it searches.")
    if k < 1:
        raise InputError(f"k is the number of documents to return; it must be at least 1, got {k}.")
    return langchain_retriever_class()(retriever=retriever, user_id=user_id, k=k, collection=collection)
