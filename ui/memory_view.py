"""Memory in the chat: what the agent remembers about the user, remember this, forget this or
everything. The agent does the remembering (Agent.remember / memories / forget); this shows it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import chainlit as cl

from agent.core import Agent
from agent.errors import CongmingError
from ui.commands import means_everything
from ui.present import md_escape
from ui.text import UIText

SHOWN_FACTS = 30
FORGET_BUTTONS = 10


def fact_sentence(fact: Any) -> str:
    describe = getattr(fact, "describe", None)
    sentence = describe() if callable(describe) else ""
    return sentence or getattr(fact, "text", "") or str(fact)


def memories_markdown(facts: list[Any], text: UIText) -> str:
    if not facts:
        return text("memories_none")
    lines = [text("memories_header"), ""]
    for fact in facts[:SHOWN_FACTS]:
        detail = [text("memory_strength", strength=float(getattr(fact, "strength", 1.0)))]
        ended = getattr(fact, "valid_to", None)
        if isinstance(ended, datetime):
            began = getattr(fact, "valid_from", None) or ended
            detail = [text("memory_span", start=f"{began:%Y-%m-%d}", end=f"{ended:%Y-%m-%d}")]
        lines.append(f"- {md_escape(fact_sentence(fact))} _({', '.join(detail)})_")
    if len(facts) > SHOWN_FACTS:
        lines.append(f"- … (+{len(facts) - SHOWN_FACTS})")
    return "\n".join(lines)


def matching_facts(facts: Iterable[Any], query: str) -> list[Any]:
    """The facts a ``/forget`` argument names: by id, or by words in the fact."""
    query = query.strip()
    if not query:
        return []
    exact = [f for f in facts if getattr(f, "id", None) == query]
    if exact:
        return exact
    needle = query.casefold()
    return [f for f in facts if needle in fact_sentence(f).casefold()
            or needle in str(getattr(f, "text", "")).casefold()]


def forget_actions(facts: list[Any], text: UIText) -> list[cl.Action]:
    actions = [cl.Action(name="forget_fact", payload={"fact_id": f.id}, icon="eraser",
                         label=f"{text('action_forget')}: {fact_sentence(f)[:40]}")
               for f in facts[:FORGET_BUTTONS]]
    if facts:
        actions.append(cl.Action(name="forget_all", payload={}, icon="trash-2",
                                 label=text("action_forget_all")))
    return actions


async def show_memories(agent: Agent, user_id: str, text: UIText) -> None:
    try:
        facts = list(await asyncio.to_thread(agent.memories, user_id=user_id, history=True))
    except CongmingError as exc:
        await cl.ErrorMessage(content=text("memory_unavailable", error=exc)).send()
        return
    current = [f for f in facts if getattr(f, "valid_to", None) is None]
    await cl.Message(content=memories_markdown(facts, text), actions=forget_actions(current, text)).send()


async def remember(agent: Agent, user_id: str, what: str, text: UIText) -> None:
    if not what.strip():
        await cl.Message(content=text("remember_empty")).send()
        return
    try:
        result = await asyncio.to_thread(agent.remember, what, user_id=user_id)
    except CongmingError as exc:
        await cl.ErrorMessage(content=text("memory_unavailable", error=exc)).send()
        return
    sentences = [fact_sentence(f) for f in result] or [what.strip()]
    await cl.Message(content=text("remembered", fact=md_escape("; ".join(dict.fromkeys(sentences))))).send()


async def forget(agent: Agent, user_id: str, what: str, text: UIText) -> None:
    """``/forget everything`` asks first; ``/forget <words or id>`` forgets the facts it names."""
    if means_everything(what):
        await confirm_forget_all(agent, user_id, text)
        return
    try:
        facts = list(await asyncio.to_thread(agent.memories, user_id=user_id, history=True))
        chosen = matching_facts(facts, what)
        for fact in chosen:
            await asyncio.to_thread(agent.forget, fact.id, user_id=user_id)
    except CongmingError as exc:
        await cl.ErrorMessage(content=text("memory_unavailable", error=exc)).send()
        return
    if not chosen:
        if not what.strip():
            await show_memories(agent, user_id, text)
            return
        await cl.Message(content=text("forgot_none", query=md_escape(what))).send()
        return
    lines = [text("forgot", fact=md_escape(fact_sentence(f))) for f in chosen]
    await cl.Message(content="\n".join(lines)).send()


async def forget_fact(agent: Agent, user_id: str, fact_id: str, text: UIText) -> None:
    try:
        facts = {f.id: f for f in await asyncio.to_thread(agent.memories, user_id=user_id)}
        removed = await asyncio.to_thread(agent.forget, fact_id, user_id=user_id)
    except CongmingError as exc:
        await cl.ErrorMessage(content=text("memory_unavailable", error=exc)).send()
        return
    fact = facts.get(fact_id)
    if removed and fact is not None:
        await cl.Message(content=text("forgot", fact=md_escape(fact_sentence(fact)))).send()
    else:
        await cl.Message(content=text("forgot_none", query=md_escape(fact_id))).send()


async def confirm_forget_all(agent: Agent, user_id: str, text: UIText) -> None:
    answer = await cl.AskActionMessage(content=text("confirm_forget_all"), timeout=300, actions=[
        cl.Action(name="confirm", payload={"forget": True}, label=text("action_yes"), icon="trash-2"),
        cl.Action(name="cancel", payload={"forget": False}, label=text("action_no"), icon="x"),
    ]).send()
    if not answer or not answer.get("payload", {}).get("forget"):
        await cl.Message(content=text("cancelled")).send()
        return
    try:
        result = await asyncio.to_thread(agent.forget, user_id=user_id, everything=True)
    except CongmingError as exc:
        await cl.ErrorMessage(content=text("memory_unavailable", error=exc)).send()
        return
    await cl.Message(content=text("forgot_all", count=int(result))).send()
