"""What the Chainlit callbacks do (ui/app.py only registers them). Every chat shares the process's
Agent (ui/agents.py) with its own settings; a message is an upload, a command or a question, and
a question's events are shown by TurnRenderer."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import chainlit as cl
from chainlit.input_widget import Select, Slider, Switch

from agent.core import Agent
from agent.errors import CongmingError
from agent.graph_view import graph_around
from agent.language import asks_question
from agent.settings import DEFAULT_USER_ID, Settings
from ui import memory_view
from ui.agents import POLICIES, AgentHost, ChatPrefs
from ui.commands import Command, command_menu, parse_command
from ui.graph_figure import graph_props
from ui.history import turns_from_thread
from ui.present import md_escape
from ui.render import TurnRenderer
from ui.text import UIText, ui_language
from ui.uploads import ingest_uploads, keep_upload, upload_folder

PREFS, TOPIC = "congming_prefs", "congming_topic"
MAX_TOPIC_CHARS = 300


class ChatApp:
    def __init__(self, settings: Settings, host: AgentHost | None = None) -> None:
        self.settings = settings
        self.host = host or AgentHost(settings)

    # ---- session state ------------------------------------------------------------------
    def text(self) -> UIText:
        return UIText(ui_language(self.settings.ui.language, getattr(cl.context.session, "language", None)))

    @staticmethod
    def user_id() -> str:
        user = cl.user_session.get("user")
        return user.identifier if user is not None else DEFAULT_USER_ID

    def prefs(self) -> ChatPrefs:
        prefs = cl.user_session.get(PREFS)
        if prefs is None:  # a new chat, or one resumed after a restart: its saved settings, if any
            prefs = self.host.defaults().updated(cl.context.session.chat_settings or {}, self.host.backends)
            cl.user_session.set(PREFS, prefs)
        return prefs

    # ---- callbacks ----------------------------------------------------------------------
    async def start(self) -> None:
        """A chat starts or resumes: its settings widgets and command menu."""
        await asyncio.to_thread(self.host.open)
        text, prefs = self.text(), self.prefs()
        await cl.ChatSettings(settings_widgets(prefs, self.host.backends, text)).send()
        await cl.context.emitter.set_commands(command_menu(text))

    async def resume(self, thread: dict[str, Any]) -> None:
        """A saved chat reopens (maybe after a restart): its recent turns are working memory again."""
        await self.start()
        turns = turns_from_thread(thread)
        if turns:
            await asyncio.to_thread(self.host.agent.resume_session, turns, user_id=self.user_id(),
                                    session_id=cl.context.session.thread_id)

    async def message(self, message: cl.Message) -> None:
        text, user_id, agent = self.text(), self.user_id(), self.host.agent
        files = [(element.name, Path(element.path)) for element in message.elements or []
                 if getattr(element, "path", None)]
        if files:
            folder = upload_folder(self.settings.data_dir, user_id)
            kept = await asyncio.to_thread(
                lambda: [(name, keep_upload(name, path, folder)) for name, path in files])
            await ingest_uploads(agent, kept, user_id=user_id, text=text, lock=self.host.ingest_lock)
        command = parse_command(message.content, message.command)
        if command is not None:
            await self.command(command, agent, user_id, text)
        elif message.content.strip():
            await self.answer(message.content, user_id, text)

    async def answer(self, content: str, user_id: str, text: UIText) -> None:
        topic = content.strip()[:MAX_TOPIC_CHARS]
        cl.user_session.set(TOPIC, topic)
        actions = [
            cl.Action(name="show_graph", payload={"topic": topic}, label=text("action_graph"),
                      icon="network"),
            cl.Action(name="show_memories", payload={}, label=text("action_memories"), icon="brain")]
        if not asks_question(content):  # a statement: offer to remember it now
            actions.append(cl.Action(name="remember_this", payload={"text": content.strip()[:2000]},
                                     label=text("action_remember"), icon="bookmark-plus"))
        try:
            options = await asyncio.to_thread(self.host.options, self.prefs())
            events = self.host.agent.stream(content, user_id=user_id, session_id=cl.context.session.thread_id,
                                            options=options)
            await TurnRenderer(text, actions=actions).render(events)
        except CongmingError as exc:  # the chat's model could not be loaded
            await cl.ErrorMessage(content=text("failed", error=exc)).send()

    async def command(self, command: Command, agent: Agent, user_id: str, text: UIText) -> None:
        match command.name:
            case "remember":
                await memory_view.remember(agent, user_id, command.argument, text)
            case "forget":
                await memory_view.forget(agent, user_id, command.argument, text)
            case "memories":
                await memory_view.show_memories(agent, user_id, text)
            case "graph":
                await self.graph(agent, user_id, command.argument or cl.user_session.get(TOPIC) or "", text)
            case _:
                await cl.Message(content=text("unknown_command", name=md_escape(command.name))).send()

    async def graph(self, agent: Agent, user_id: str, topic: str, text: UIText) -> None:
        if not topic.strip():
            await cl.Message(content=text("graph_no_topic")).send()
            return
        view = await asyncio.to_thread(graph_around, agent, topic, user_id=user_id)
        if view.empty:
            await cl.Message(content=text("graph_empty", topic=md_escape(topic))).send()
            return
        title = text("graph_title", topic=topic)
        props = await asyncio.to_thread(graph_props, view, hint=text("graph_hint"), action="show_graph")
        # drawn by ui/public/elements/KnowledgeGraph.jsx; a click on a name calls show_graph with it
        drawing = cl.CustomElement(name="KnowledgeGraph", props=props, display="inline")
        await cl.Message(content=md_escape(title), elements=[drawing]).send()

    async def settings_changed(self, values: dict[str, Any]) -> None:
        text, old = self.text(), self.prefs()
        new = old.updated(values, self.host.backends)
        cl.user_session.set(PREFS, new)
        if new.backend != old.backend:
            await cl.Message(content=text("backend_changed", backend=new.backend)).send()

    async def action(self, action: cl.Action) -> None:
        text, user_id, agent = self.text(), self.user_id(), self.host.agent
        match action.name:
            case "show_graph":
                await self.graph(agent, user_id, str(action.payload.get("topic", "")), text)
            case "show_memories":
                await memory_view.show_memories(agent, user_id, text)
            case "remember_this":
                await memory_view.remember(agent, user_id, str(action.payload.get("text", "")), text)
            case "forget_fact":
                await memory_view.forget_fact(agent, user_id, str(action.payload.get("fact_id", "")), text)
            case "forget_all":
                await memory_view.confirm_forget_all(agent, user_id, text)
                # asking marks the chat busy again afterwards; an action has no task to end it
                await cl.context.emitter.task_end()


def settings_widgets(prefs: ChatPrefs, backends: tuple[str, ...], text: UIText) -> list:
    return [
        Select(id="backend", label=text("settings_backend"), values=list(backends),
               initial_value=prefs.backend),
        Switch(id="chain_of_thought", label=text("settings_cot"), initial=prefs.chain_of_thought),
        Select(id="policy", label=text("settings_policy"), items={text(f"policy_{p}"): p for p in POLICIES},
               initial_value=prefs.policy),
        Slider(id="temperature", label=text("settings_temperature"), initial=prefs.temperature,
               min=0, max=2, step=0.1),
    ]
