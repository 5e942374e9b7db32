"""An Agent over the scripted FakeLLM and the hash embedder, the events of one turn, and the
reader on a few texts."""

import asyncio

from agent import Agent
from agent.llm.fake import FakeLLM
from agent.reader import Reader
from memory.parts import Passage


def make_agent(settings, replies=(), **agent_settings):
    settings.embedder.backend = "hash"
    for key, value in agent_settings.items():
        setattr(settings.agent, key, value)
    llm = FakeLLM(list(replies))
    return Agent(settings, llm=llm), llm


def events_of(agent, message, **kwargs):
    async def collect():
        return [event async for event in agent.stream(message, **kwargs)]

    return asyncio.run(collect())


def read(question, *texts):
    """The reader's answer to ``question`` from ``texts``, each a passage "doc 1", "doc 2", …"""
    evidence = [Passage(text, f"doc {i}", f"c{i}") for i, text in enumerate(texts, start=1)]
    return Reader().read(question, evidence)
