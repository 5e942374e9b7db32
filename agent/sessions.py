"""Working memory per (user, session), kept in process for the most recent sessions.

A session that falls out (or a restart) starts a fresh working memory, unless the caller
restores its recent turns (the UI from its chat history, the API from the messages a client
resends); what was said in it is still recalled from long-term memory.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence

from memory.parts import Turn
from memory.types import TokenCounter
from memory.working import WorkingMemory

MAX_RESTORED_TURNS = 20  # older ones are still recalled from long-term memory


def pair_turns(messages: Iterable[tuple[str, str, str]]) -> list[Turn]:
    """A conversation's finished turns, oldest first, from its (role, text, turn id) messages:
    each non-empty assistant reply with the user message before it; other roles are skipped."""
    turns, asked = [], None
    for role, text, turn_id in messages:
        if role == "user":
            asked = text
        elif role == "assistant" and text and asked is not None:
            turns.append(Turn(asked, text, turn_id))
            asked = None
    return turns


class Sessions:
    def __init__(self, counter: TokenCounter, *, budget: int, max_sessions: int = 1000) -> None:
        self.counter = counter
        self.budget = budget
        self.max_sessions = max_sessions
        self._memories: OrderedDict[tuple[str, str], WorkingMemory] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, user_id: str, session_id: str) -> WorkingMemory:
        key = (user_id, session_id)
        with self._lock:
            memory = self._memories.get(key)
            if memory is None:
                memory = WorkingMemory(self.counter, budget=self.budget, system="")
                self._memories[key] = memory
                while len(self._memories) > self.max_sessions:
                    self._memories.popitem(last=False)
            self._memories.move_to_end(key)
            return memory

    def restore(self, user_id: str, session_id: str, turns: Sequence[Turn]) -> bool:
        """Give a session that has nothing in working memory (after a restart, or one this
        process never saw) its most recent turns again; False when it already has some."""
        memory = self.get(user_id, session_id)
        with self._lock:
            if memory.turns or memory.summary.text:
                return False
            for turn in list(turns)[-MAX_RESTORED_TURNS:]:
                memory.add_turn(turn.user, turn.answer, turn_id=turn.id)
            return True

    def reset(self, user_id: str, session_id: str) -> None:
        with self._lock:
            self._memories.pop((user_id, session_id), None)

    def forget_user(self, user_id: str) -> None:
        with self._lock:
            for key in [key for key in self._memories if key[0] == user_id]:
                del self._memories[key]
