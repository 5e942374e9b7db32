"""The terminal chat: one Agent turn per line, its events written as they come."""

from __future__ import annotations

import asyncio
from typing import TextIO

from agent.core import Agent
from agent.events import AnswerToken, Citation, ReasoningToken, TurnDone, TurnFailed, VerificationDone

TERMINAL_SESSION = "terminal"


def _excerpt(text: str, width: int = 90) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


async def _write_turn(agent: Agent, message: str, stdout: TextIO, *, user_id: str, session_id: str,
                      show_reasoning: bool, show_draft: bool = False) -> bool:
    """Write one turn: by default only the checked answer; the draft only with ``show_draft``,
    marked as unchecked."""
    citations: list[Citation] = []
    thinking = drafting = False
    async for event in agent.stream(message, user_id=user_id, session_id=session_id):
        if isinstance(event, ReasoningToken) and show_reasoning:
            if not thinking:
                stdout.write("(thinking) ")
                thinking = True
            stdout.write(event.text)
        elif isinstance(event, AnswerToken) and show_draft:
            if not drafting:
                stdout.write("\n(draft, unchecked) " if thinking else "(draft, unchecked) ")
                drafting = True
            stdout.write(event.text)
        elif isinstance(event, Citation):
            citations.append(event)
        elif isinstance(event, VerificationDone):
            before = "\n" if thinking or drafting else ""
            stdout.write(f"{before}congming> {event.answer}")
        elif isinstance(event, TurnDone):
            stdout.write("\n")
            for citation in citations:
                source = citation.passage.source or "memory"
                stdout.write(f"  [{citation.number}] {source}: {_excerpt(citation.passage.text)}\n")
            return True
        elif isinstance(event, TurnFailed):
            stdout.write(f"\n(message not sent: {event.message})\n")
            return False
        stdout.flush()
    return False


def chat_loop(agent: Agent, stdin: TextIO, stdout: TextIO, *, user_id: str,
              session_id: str = TERMINAL_SESSION, show_reasoning: bool = False, show_draft: bool = False,
              prompt: str = "you> ") -> int:
    """Read messages line by line and answer each; returns the number of turns answered."""
    answered = 0
    interactive = stdin.isatty()
    while True:
        if interactive:
            stdout.write(prompt)
            stdout.flush()
        line = stdin.readline()
        if not line:
            break
        message = line.strip()
        if not message:
            continue
        if message in ("/exit", "/quit"):
            break
        if message == "/reset":
            agent.reset_session(user_id=user_id, session_id=session_id)
            stdout.write("(conversation cleared)\n")
            continue
        try:
            turn = _write_turn(agent, message, stdout, user_id=user_id, session_id=session_id,
                               show_reasoning=show_reasoning, show_draft=show_draft)
            answered += asyncio.run(turn)
        except KeyboardInterrupt:
            stdout.write("\n(stopped)\n")
    return answered
