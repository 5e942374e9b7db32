"""An Agent over the scripted FakeLLM and the hash embedder, and the events of one turn."""

import asyncio

from agent import Agent
from agent.llm.fake import FakeLLM


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
