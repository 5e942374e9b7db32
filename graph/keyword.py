"""Keyword search over chunks: SQLite FTS5 ranked by BM25, with CJK text pre-tokenized by jieba.

The ``chunk_fts`` table holds, per chunk row, its document's title and the chunk's text as
tokens joined by spaces: Latin, Cyrillic, Hangul and digits as lower-cased words; Chinese
runs split by jieba's search mode (words plus their sub-words, so "北京大学" is found by
"北京"); kana runs as character bigrams. Queries go through the same tokenizer, and every
token is quoted, so any user text is a safe FTS5 query (no operators, column filters or syntax errors).

Rows are written in the same SQLite transaction as their chunk and deleted by a trigger
with it, so the keyword index never needs a consistency check of its own.

BM25 has to score every row a query matches (FTS5 has no top-k pruning), about 1-2 us a
row, so a query term found in tens of thousands of chunks would make each search slow. A
search therefore ranks the matches of its rarest terms while they add up to at most
``max_scored`` rows, leaving out the more common ones (as Lucene's common-terms query and
Elasticsearch's ``cutoff_frequency`` do); when even the rarest term is that common, it
ranks that term's ``max_scored`` newest matches. Below that size the ranking is exact BM25.
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from graph.chunking import with_title
from graph.sqlite_db import SQLiteDatabase

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_KANA = r"\u3040-\u30ff"
_RUNS = re.compile(rf"(?P<han>[{_HAN}]+)|(?P<kana>[{_KANA}]+)|(?P<word>[^\W_{_HAN}{_KANA}]+)")

MAX_QUERY_TOKENS = 64

# Very common words that only slow an OR query down; used for queries, never for indexing.
_ENGLISH_STOPWORDS = (
    "a an and are as at be but by for from has have he her his i if in into is it its me my no "
    "not of on or our she so than that the their them then there these they this to was we "
    "were what when where which who whom why will with you your"
)
_CHINESE_STOPWORDS = (
    "的 了 是 在 和 与 及 或 也 就 都 而 吗 呢 吧 啊 么 什么 怎么 哪 哪里 谁 这 那 "
    "这个 那个 一个 有 我 你 他 她 它 我们 你们 他们"
)
STOPWORDS = frozenset(_ENGLISH_STOPWORDS.split()) | frozenset(_CHINESE_STOPWORDS.split())


@dataclass(frozen=True, slots=True)
class KeywordHit:
    chunk_id: str
    rowid: int  # the chunk's integer row id (also its id in the vector index)
    document_id: str
    score: float  # BM25, higher is better


def _han_tokens(run: str) -> list[str]:
    from graph.cjk import jieba_tokenizer

    return [t for t in jieba_tokenizer().cut_for_search(run) if t.strip()]


def _kana_tokens(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def tokenize(text: str) -> list[str]:
    """The tokens of ``text`` as the keyword index sees them (NFKC, lower-cased)."""
    tokens: list[str] = []
    for match in _RUNS.finditer(unicodedata.normalize("NFKC", text).lower()):
        if match.lastgroup == "han":
            tokens += _han_tokens(match.group())
        elif match.lastgroup == "kana":
            tokens += _kana_tokens(match.group())
        else:
            tokens.append(match.group())
    return tokens


def index_text(text: str) -> str:
    """What goes into the FTS5 column for ``text``."""
    return " ".join(tokenize(text))


def query_tokens(text: str) -> list[str]:
    """The distinct tokens a query searches for; stop words dropped unless nothing else is left."""
    tokens = list(dict.fromkeys(tokenize(text)))
    return ([t for t in tokens if t not in STOPWORDS] or tokens)[:MAX_QUERY_TOKENS]


def _any_of(tokens: Iterable[str]) -> str:
    return " OR ".join('"' + token.replace('"', '""') + '"' for token in tokens)


def match_expression(text: str) -> str | None:
    """A safe FTS5 MATCH expression: the query's distinct tokens, each quoted, OR-ed together.

    Stop words are dropped unless nothing else is left. None when there is nothing to search.
    """
    tokens = query_tokens(text)
    return _any_of(tokens) if tokens else None


def index_chunks(conn: sqlite3.Connection, rows: Iterable[tuple[int, str]]) -> None:
    """Index (chunk row id, text) pairs inside the caller's transaction.

    Each row holds its document's title and then the chunk's text, so every chunk of a
    document is found by what the document is called (a passage's title is often the one
    name a question uses, and a document's later chunks rarely repeat it). The chunk and
    document rows must already be written, as they are in the same transaction.
    """
    rows = list(rows)
    titles = _document_titles(conn, [rowid for rowid, _ in rows])
    conn.executemany("INSERT INTO chunk_fts (rowid, tokens) VALUES (?, ?)",
                     ((rowid, index_text(with_title(titles.get(rowid, ""), text))) for rowid, text in rows))


def _document_titles(conn: sqlite3.Connection, rowids: list[int]) -> dict[int, str]:
    """The title of each chunk row's document ('' for rows not found)."""
    if not rowids:
        return {}
    return dict(conn.execute(
        "SELECT c.pk, d.title FROM json_each(?) AS wanted CROSS JOIN chunks c ON c.pk = wanted.value "
        "JOIN documents d ON d.user_id = c.user_id AND d.id = c.document_id",
        (json.dumps(rowids),)).fetchall())


class KeywordIndex:
    """BM25 keyword search over the chunks stored in a ``SQLiteDatabase``.

    Queries join with CROSS JOIN so SQLite walks the full-text matches first: left to
    itself it may scan every chunk of the user and test MATCH row by row (250x slower).
    ``max_scored`` bounds the rows one search ranks (see the module notes); None ranks all.
    """

    def __init__(self, db: SQLiteDatabase, *, max_scored: int | None = 5000) -> None:
        self.db = db
        self.max_scored = max_scored

    def search(self, user_id: str, query: str, *, limit: int = 10,
               collection: str | None = None) -> list[KeywordHit]:
        """Chunks of ``user_id`` (and ``collection``, if given) best matching ``query``."""
        tokens = query_tokens(query)
        if not tokens or limit < 1:
            return []
        with self.db.read() as conn:
            tokens, floor = self._affordable(conn, tokens)
            params = (_any_of(tokens), floor)
            # Rank among all users' rows first (cheaper than joining every match), then keep
            # this user's; if too few of the best rows are theirs, join first after all.
            fetch = limit * 4
            best = conn.execute("SELECT rowid, bm25(chunk_fts) FROM chunk_fts WHERE chunk_fts "
                                "MATCH ? AND rowid >= ? ORDER BY 2 LIMIT ?", (*params, fetch)).fetchall()
            rows = self._owned(conn, best, user_id, collection)[:limit]
            if len(rows) < limit and len(best) == fetch:
                rows = conn.execute(
                    "SELECT c.pk, c.id, c.document_id, bm25(chunk_fts) AS rank "
                    "FROM chunk_fts CROSS JOIN chunks c ON c.pk = chunk_fts.rowid "
                    "WHERE chunk_fts MATCH ? AND chunk_fts.rowid >= ? AND c.user_id = ? "
                    "AND (? IS NULL OR c.collection = ?) ORDER BY rank LIMIT ?",
                    (*params, user_id, collection, collection, limit)).fetchall()
        return [KeywordHit(chunk_id=row[1], rowid=row[0], document_id=row[2], score=-row[3])
                for row in rows]

    def _affordable(self, conn: sqlite3.Connection, tokens: list[str]) -> tuple[list[str], int]:
        """The rarest tokens whose matches add up to at most ``max_scored`` rows (at least the
        rarest one), and the lowest row id to rank: 0, or where the newest ``max_scored``
        matches begin when even the rarest token has more."""
        if self.max_scored is None:
            return tokens, 0
        cap = self.max_scored
        counts = {token: conn.execute(  # counting stops at cap + 1: cheap even for common words
            "SELECT count(*) FROM (SELECT 1 FROM chunk_fts WHERE chunk_fts MATCH ? LIMIT ?)",
            (_any_of([token]), cap + 1)).fetchone()[0] for token in tokens}
        kept, total = [], 0
        for token in sorted(tokens, key=counts.__getitem__):
            if kept and total + counts[token] > cap:
                break
            kept.append(token)
            total += counts[token]
        if total <= cap:
            return kept, 0
        newest = conn.execute("SELECT rowid FROM chunk_fts WHERE chunk_fts MATCH ? "
                              "ORDER BY rowid DESC LIMIT 1 OFFSET ?", (_any_of(kept), cap - 1)).fetchone()
        return kept, newest[0] if newest else 0

    @staticmethod
    def _owned(conn: sqlite3.Connection, ranked: list[sqlite3.Row], user_id: str,
               collection: str | None) -> list[tuple[int, str, str, float]]:
        """(row id, chunk id, document id, rank) of the ranked rows that are this user's, in order."""
        rank = {row[0]: row[1] for row in ranked}
        found = conn.execute(
            "SELECT c.pk, c.id, c.document_id FROM json_each(?) AS wanted CROSS JOIN chunks c "
            "ON c.pk = wanted.value WHERE c.user_id = ? AND (? IS NULL OR c.collection = ?)",
            (json.dumps(list(rank)), user_id, collection, collection)).fetchall()
        return sorted(((row[0], row[1], row[2], rank[row[0]]) for row in found),
                      key=lambda row: (row[3], row[0]))

    def chunks_with_phrase(self, user_id: str, phrase: str, *, limit: int = 200) -> list[str]:
        """Ids of this user's chunks containing ``phrase`` as consecutive tokens."""
        tokens = tokenize(phrase)
        if not tokens or limit < 1:
            return []
        expression = '"' + " ".join(tokens).replace('"', '""') + '"'
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT c.id FROM chunk_fts CROSS JOIN chunks c ON c.pk = chunk_fts.rowid "
                "WHERE chunk_fts MATCH ? AND c.user_id = ? LIMIT ?",
                (expression, user_id, limit)).fetchall()
        return [row[0] for row in rows]
