"""The turns around a recalled turn: where it sits in its session, and how its score reaches
the turns said just before and after it.

A turn often makes sense only with its neighbours: the answer to a question is in the reply,
and what a bare reply is about is in the message before it. So recall lets each turn's score
flow a little to the turn before and the one after it in the same session, lets the view of a
turn read with the message it answers (its context view) count for that message too, and adds
a small share of the rest of its session's score to each turn (a session that is about the
question makes each of its turns a little likelier). The shares were chosen on LoCoMo's dev
conversations (benchmarks/locomo_memory.py --split dev) and are reported on the others.

Order in a session: when a turn was said, then the order it was stored in (a chat's turns of
one minute, or a transcript's turns that share one date, keep the order they came in).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from graph.knowledge import KnowledgeBase


@dataclass(frozen=True, slots=True)
class Spread:
    """Shares of a turn's score given to the turns around it (0 turns a share off)."""

    answered: float = 0.5  # of a context view's score, to the turn it answers
    neighbour: float = 0.1  # of a turn's score, to the turn before and the one after it
    session: float = 0.05  # of the rest of its session's score, to each turn of the session


NO_SPREAD = Spread(0.0, 0.0, 0.0)


def source_of(session_id: str, turn_id: str) -> str:
    """The ``source`` a remembered turn is stored under (its session is a prefix of it)."""
    return f"memory:{session_id}/{turn_id}"


def session_order(kb: KnowledgeBase, user_id: str, collection: str,
                  session_ids: Iterable[str]) -> dict[str, list[str]]:
    """Session id -> the ids of the user's turns in it, in the order they were said."""
    wanted = list(dict.fromkeys(session_ids))
    if not wanted:
        return {}
    rows: dict[str, tuple[Any, ...]] = {}  # by id: the ranges of two sessions may overlap
    with kb.db.read() as conn:
        for session_id in wanted:  # one indexed range of sources per session (few: a recall's turns)
            prefix = source_of(session_id, "")  # ends with "/", and "0" is the character after it
            for row in conn.execute(
                    "SELECT json_extract(metadata, '$.session_id'), json_extract(metadata, '$.at'), "
                    "created_at, id FROM documents WHERE user_id = ? AND collection = ? AND source >= ? "
                    "AND source < ?", (user_id, collection, prefix, prefix[:-1] + "0")):
                rows[row[3]] = tuple(row)
    found: dict[str, list[str]] = {session_id: [] for session_id in wanted}
    for session_id, *_, doc_id in sorted(rows.values(), key=lambda row: (str(row[1]), row[2], row[3])):
        if session_id in found:
            found[session_id].append(doc_id)
    return found


def metadata_of(kb: KnowledgeBase, user_id: str, document_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Document id -> its metadata, for the user's documents among ``document_ids``."""
    wanted = list(dict.fromkeys(document_ids))
    if not wanted:
        return {}
    with kb.db.read() as conn:
        rows = conn.execute("SELECT id, metadata FROM documents WHERE user_id = ? AND id IN "
                            "(SELECT value FROM json_each(?))", (user_id, json.dumps(wanted))).fetchall()
    return {doc_id: json.loads(meta) for doc_id, meta in rows}


def spread_scores(direct: Mapping[str, float], answering: Mapping[str, float],
                  sessions: Mapping[str, Sequence[str]], spread: Spread) -> dict[str, float]:
    """Each turn's score once its neighbours have had their share.

    ``direct``: turn -> its own recall score (all its views); ``answering``: turn -> the part of
    it its context view earned; ``sessions``: session -> its turns in order (every turn of
    ``direct`` in one of them, or it has no neighbours)."""
    before: dict[str, str] = {}
    after: dict[str, str] = {}
    session_of: dict[str, str] = {}
    for session_id, turns in sessions.items():
        for earlier, later in pairwise(turns):
            before[later], after[earlier] = earlier, later
        session_of.update(dict.fromkeys(turns, session_id))
    scores: defaultdict[str, float] = defaultdict(float, direct)
    for turn, share in answering.items():
        if turn in before and spread.answered:
            scores[before[turn]] += spread.answered * share
    own = dict(scores)
    for turn, score in own.items():
        for neighbour in (before.get(turn), after.get(turn)):
            if neighbour is not None and spread.neighbour:
                scores[neighbour] += spread.neighbour * score
    totals: defaultdict[str, float] = defaultdict(float)
    for turn, score in scores.items():
        totals[session_of.get(turn, turn)] += score
    return {turn: score + spread.session * (totals[session_of.get(turn, turn)] - score)
            for turn, score in scores.items()}
