"""The MCP server (`congming mcp`) driven by the official MCP SDK's own client: over stdio
(the CLI in a subprocess, with the fake LLM and the hash embedder) and over streamable HTTP
(the app under uvicorn in a thread, bearer keys as the HTTP API): list the tools, call each
one, keep two users apart, and report bad calls as tool errors."""

from __future__ import annotations

import json
import os
import sys
from contextlib import asynccontextmanager
from datetime import timedelta

import anyio
import pytest

pytest.importorskip("mcp")
pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

import httpx
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

from agent import Agent
from agent.mcp_server import create_http_app
from tests.server_support import (
    KEY_ALICE,
    KEY_APP,
    KEY_BOB,
    ServerThread,
    make_agent,
    server_settings,
)

TOOLS = {"remember", "recall", "forget", "search_documents", "ask", "ingest"}
LIN = "My sister Lin lives in Hangzhou. She works at Alibaba as an engineer."
CALL_TIMEOUT = timedelta(seconds=45)
SCENARIO_S = 90


async def call(session: ClientSession, tool: str, **arguments) -> dict:
    """A tool's structured result; fails the test on a tool error."""
    result = await session.call_tool(tool, arguments, read_timeout_seconds=CALL_TIMEOUT)
    assert not result.isError, f"{tool}: {result.content}"
    assert result.structuredContent is not None
    return result.structuredContent


async def tool_error(session: ClientSession, tool: str, **arguments) -> str:
    """A tool call that must fail: its error message (a sentence, never a traceback)."""
    result = await session.call_tool(tool, arguments, read_timeout_seconds=CALL_TIMEOUT)
    assert result.isError, f"{tool} should have failed: {result.structuredContent}"
    message = " ".join(part.text for part in result.content if part.type == "text")
    assert message and "Traceback" not in message
    return message


async def memory_ids(session: ClientSession, query: str) -> set[str]:
    return {m["id"] for m in (await call(session, "recall", query=query, k=10))["memories"]}


async def exercise_memory(session: ClientSession) -> str:
    """remember -> recall (with provenance) -> forget -> gone; returns nothing left behind."""
    facts = (await call(session, "remember", text="I live in Hangzhou"))["facts"]
    assert facts and facts[0]["id"].startswith("fact-") and "Hangzhou" in facts[0]["object"]
    recalled = (await call(session, "recall", query="Where do I live?", k=3))["memories"]
    fact = next(m for m in recalled if m["id"] == facts[0]["id"])
    assert fact["kind"] == "fact" and "Hangzhou" in fact["text"] and fact["at"]
    assert await call(session, "forget", memory_id=fact["id"]) == {"id": fact["id"], "forgotten": True}
    recalled = (await call(session, "recall", query="Where do I live?", k=3))["memories"]
    assert all(m["id"] != fact["id"] for m in recalled)
    assert "No memory" in await tool_error(session, "forget", memory_id=fact["id"])
    return fact["id"]


async def exercise_documents(session: ClientSession) -> dict:
    ingested = await call(session, "ingest", text=LIN, title="Lin", source="lin.md")
    assert ingested["failed"] == 0 and ingested["documents"][0]["status"] == "added"
    hits = (await call(session, "search_documents", query="Where does Lin live?", k=2))["passages"]
    assert hits and hits[0]["source"] == "lin.md" and hits[0]["title"] == "Lin"
    assert hits[0]["passage_id"] and "Hangzhou" in hits[0]["text"]
    return hits[0]


async def exercise_bad_calls(session: ClientSession) -> None:
    assert "k" in await tool_error(session, "search_documents", query="Lin", k=0)
    assert "either" in await tool_error(session, "ingest")
    assert "either" in await tool_error(session, "ingest", text="x", paths=["a.md"])
    assert await tool_error(session, "remember")  # the required argument missing


# ---- stdio ------------------------------------------------------------------------------------

@pytest.fixture
def stdio_server(tmp_path) -> StdioServerParameters:
    env = {name: value for name, value in os.environ.items() if not name.startswith("CONGMING_")}
    env.update(CONGMING_DATA_DIR=str(tmp_path / "data"), CONGMING_LLM__BACKEND="fake",
               CONGMING_EMBEDDER__BACKEND="hash", CONGMING_KNOWLEDGE__EXTRACTOR="none",
               HF_HUB_OFFLINE="1", PYTHONUNBUFFERED="1")
    return StdioServerParameters(command=sys.executable, args=["-m", "agent.cli", "mcp", "--user", "ann"],
                                 env=env, cwd=str(tmp_path))


async def test_stdio_serves_every_tool_for_the_user_it_was_started_for(stdio_server, tmp_path, settings):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "trip.md").write_text("# Trip\n\nThe trip to Lisbon starts on 3 May.\n", encoding="utf-8")
    with anyio.fail_after(SCENARIO_S):
        async with stdio_client(stdio_server) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            tools = (await session.list_tools()).tools
            assert {tool.name for tool in tools} == TOOLS
            schemas = {tool.name: tool.inputSchema for tool in tools}
            assert schemas["recall"]["required"] == ["query"] and "k" in schemas["recall"]["properties"]
            assert all(tool.outputSchema for tool in tools)

            await exercise_documents(session)
            files = await call(session, "ingest", paths=[str(notes)])
            assert [d["status"] for d in files["documents"]] == ["added"]
            hits = (await call(session, "search_documents", query="When does the Lisbon trip start?"))
            assert hits["passages"][0]["title"] == "Trip"
            assert "No such file" in await tool_error(session, "ingest", paths=[str(tmp_path / "nope")])
            await exercise_memory(session)
            answer = await call(session, "ask", question="Where does Lin live?")
            assert answer["answer"] and answer["action"] and answer["turn_id"]
            assert isinstance(answer["declined"], bool) and isinstance(answer["citations"], list)
            await exercise_bad_calls(session)
    settings.embedder.backend = "hash"
    with Agent(settings) as agent:  # the server wrote as --user ann, and only as ann
        assert {d.source for d in agent.documents(user_id="ann")} >= {"lin.md"}
        assert agent.documents(user_id="local") == []


# ---- streamable HTTP ------------------------------------------------------------------------

@pytest.fixture
def http_server(settings):
    """The MCP app under uvicorn on a free loopback port, keys for alice, bob and a multi-user app."""
    from agent.llm.fake import evidence_reply

    settings.knowledge.extractor = "none"  # no spaCy entity extraction: fast
    agent, _ = make_agent(server_settings(settings), (evidence_reply,))
    with ServerThread(create_http_app(settings, agent)) as server:
        yield f"http://127.0.0.1:{server.port}/mcp"
    agent.close()


@asynccontextmanager
async def http_session(url: str, key: str | None):
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    async with (httpx.AsyncClient(headers=headers, timeout=httpx.Timeout(20, read=60)) as client,
                streamable_http_client(url, http_client=client) as (read, write, _),
                ClientSession(read, write) as session):
        await session.initialize()
        yield session


async def test_http_serves_every_tool_for_the_key_s_user(http_server):
    with anyio.fail_after(SCENARIO_S):
        async with http_session(http_server, KEY_ALICE) as alice:
            assert {tool.name for tool in (await alice.list_tools()).tools} == TOOLS
            passage = await exercise_documents(alice)
            await exercise_memory(alice)
            answer = await call(alice, "ask", question="Where does Lin live?")
            assert "Hangzhou" in answer["answer"] and not answer["declined"]
            cited = answer["citations"][0]
            assert cited["number"] == 1 and cited["id"] == passage["passage_id"] and "Lin" in cited["source"]
            assert "text" in await tool_error(alice, "ingest", paths=["/etc/hostname"])  # no server files
            await exercise_bad_calls(alice)


async def test_http_keeps_two_users_apart(http_server):
    with anyio.fail_after(SCENARIO_S):
        async with http_session(http_server, KEY_ALICE) as alice, http_session(http_server, KEY_BOB) as bob:
            fact = (await call(alice, "remember", text="I live in Hangzhou"))["facts"][0]
            await call(alice, "ingest", text=LIN, source="lin.md", title="Lin")
            assert fact["id"] in await memory_ids(alice, "Hangzhou")

            recalled = (await call(bob, "recall", query="Where do I live? Hangzhou", k=10))["memories"]
            assert all("Hangzhou" not in m["text"] for m in recalled)
            assert (await call(bob, "search_documents", query="Lin Hangzhou Alibaba", k=10))["passages"] == []
            assert "No memory" in await tool_error(bob, "forget", memory_id=fact["id"])
            declined = await call(bob, "ask", question="Where does Lin live?")
            assert declined["declined"] and not declined["citations"]
            assert fact["id"] in await memory_ids(alice, "Hangzhou")


async def test_http_multi_user_key_names_its_end_users_in_the_url(http_server):
    with anyio.fail_after(SCENARIO_S):
        async with (http_session(f"{http_server}?user=ann", KEY_APP) as ann,
                    http_session(f"{http_server}?user=cy", KEY_APP) as cy):
            await call(ann, "remember", text="I live in Hangzhou")
            assert (await call(ann, "recall", query="Hangzhou"))["memories"]
            recalled = (await call(cy, "recall", query="Hangzhou", k=10))["memories"]
            assert all("Hangzhou" not in m["text"] for m in recalled)


@pytest.mark.parametrize("key", [None, "sk-wrong-0123456789"])
async def test_http_refuses_requests_without_a_valid_key(http_server, key):
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    body = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(http_server, headers=headers, content=json.dumps(body))
    assert response.status_code == 401
    assert response.json()["error"]["code"] in ("missing_api_key", "invalid_api_key")
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(f"{http_server}?user=eve", content=json.dumps(body),
                                     headers={**headers, "Authorization": f"Bearer {KEY_BOB}"})
    assert response.status_code == 403  # a single-user key never reaches another user


# ---- errors the agent raises ------------------------------------------------------------------

async def test_memory_off_is_a_tool_error_that_says_how_to_turn_it_on(settings):
    from mcp.shared.memory import create_connected_server_and_client_session

    from agent.mcp_server import agent_open, build_mcp

    settings.memory.enabled = False
    agent, _ = make_agent(server_settings(settings))
    with anyio.fail_after(SCENARIO_S):
        async with (agent_open(agent),
                    create_connected_server_and_client_session(build_mcp(agent)) as session):
            for tool, arguments in (("remember", {"text": "I live in Hangzhou"}), ("recall", {"query": "x"}),
                                    ("forget", {"memory_id": "fact-1"})):
                assert "CONGMING_MEMORY__ENABLED=true" in await tool_error(session, tool, **arguments)
            assert (await call(session, "search_documents", query="anything"))["passages"] == []
