"""Translates one chat turn's agent events (agent/events.py) into Chainlit calls: a retrieval step
listing what was found, the chain of thought as a collapsible step, the answer streamed into a
message and then replaced by the verified text, citations as clickable side elements."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import chainlit as cl
from chainlit.utils import utc_now

from agent.events import (
    AnswerToken,
    Citation,
    Event,
    MemoryScheduled,
    ReasoningToken,
    Reply,
    RetrievalDone,
    TurnDone,
    TurnFailed,
    VerificationDone,
)
from ui.present import answer_markdown, citation_markdown, citation_name, retrieval_markdown
from ui.text import UIText


def current_run_id() -> str | None:
    """The step of the callback being run (Chainlit's on_message): steps made here go inside it,
    next to the messages, instead of after them."""
    step = cl.context.current_step
    return step.id if step is not None else None


def citation_elements(citations: Sequence[Citation], text: UIText) -> list[cl.Text]:
    """One side element per citation, named like its mark in the answer ("[1]") so the mark links to it."""
    return [cl.Text(name=citation_name(c.number), content=citation_markdown(c, text), display="side")
            for c in citations]


class TurnRenderer:
    """Shows one turn. ``await start()``, then ``await handle(event)`` for each event in order."""

    def __init__(self, text: UIText, *, actions: Sequence[cl.Action] = ()) -> None:
        self.text = text
        self.actions = list(actions)
        self.retrieval: cl.Step | None = None
        self.reasoning: cl.Step | None = None
        self.answer = cl.Message(content="")
        self.citations: list[Citation] = []
        self.reply: Reply | None = None
        self.error: str | None = None
        self._answer_sent = False

    async def start(self) -> None:
        """Open the retrieval step before the agent starts, so the search shows as running.

        Steps are shown by streaming and saved once, by their last update: Chainlit saves each
        send/update in a task of its own, and two saves of one step may land in either order."""
        self.retrieval = cl.Step(name=self.text("retrieval_step"), type="retrieval", show_input=False,
                                 parent_id=current_run_id())
        self.retrieval.start = utc_now()
        await self.retrieval.stream_token(self.text("searching"), is_sequence=True)

    async def handle(self, event: Event) -> None:
        match event:
            case RetrievalDone():
                await self._retrieved(event)
            case ReasoningToken(text=piece):
                await self._reason(piece)
            case AnswerToken(text=piece):
                await self._close_reasoning()
                await self.answer.stream_token(piece)
            case Citation():
                self.citations.append(event)
            case VerificationDone():
                await self._verified(event)
            case MemoryScheduled(job_id=job):
                self.answer.metadata = {**(self.answer.metadata or {}), "memory_job": job}
            case TurnDone(reply=reply):
                self.reply = reply
                await self._finish()
            case TurnFailed():
                await self._failed(event)

    async def render(self, events: AsyncIterator[Event]) -> Reply | None:
        """Show every event of a turn; the reply, or None when the turn failed."""
        await self.start()
        async for event in events:
            await self.handle(event)
        return self.reply

    async def _retrieved(self, event: RetrievalDone) -> None:
        if self.retrieval is None:
            await self.start()
        self.retrieval.output = retrieval_markdown(event, self.text)
        self.retrieval.end = utc_now()
        await self.retrieval.update()

    async def _reason(self, piece: str) -> None:
        if self.reasoning is None:
            self.reasoning = cl.Step(name=self.text("reasoning_step"), type="llm", show_input=False,
                                     parent_id=current_run_id())
            self.reasoning.start = utc_now()
        await self.reasoning.stream_token(piece)

    async def _close_reasoning(self) -> None:
        if self.reasoning is not None and self.reasoning.end is None:
            self.reasoning.output = self.reasoning.output.strip()
            self.reasoning.end = utc_now()
            await self.reasoning.update()

    async def _verified(self, event: VerificationDone) -> None:
        """The draft is replaced by the final answer, marked and with its sources."""
        await self._close_reasoning()
        self.answer.content = answer_markdown(event.answer, event.verification, self.citations, self.text)
        self.answer.elements = citation_elements(self.citations, self.text)
        self.answer.metadata = {**(self.answer.metadata or {}), "action": event.action,
                                "answer": event.answer, "turn_id": event.turn_id}  # to resume the chat
        await self._show_answer()

    async def _finish(self) -> None:
        await self._close_reasoning()
        if not self._answer_sent:
            await self._show_answer()
        for action in self.actions:
            await action.send(for_id=self.answer.id)
        self.answer.actions = self.actions

    async def _failed(self, event: TurnFailed) -> None:
        await self._close_reasoning()
        if self.retrieval is not None and self.retrieval.end is None:
            self.retrieval.end = utc_now()
            await self.retrieval.update()
        self.error = event.message
        if self._answer_sent or self.answer.streaming:
            await self.answer.remove()
        await cl.ErrorMessage(content=self.text("failed", error=event.message)).send()

    async def _show_answer(self) -> None:
        if self._answer_sent:
            await self.answer.update()
        else:
            await self.answer.send()
            self._answer_sent = True
