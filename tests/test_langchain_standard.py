"""LangChain's own standard tests (langchain-tests) for congming's LangChain classes:
the hybrid retriever (RetrieversIntegrationTests) and congming as a chat model, ChatCongming
(ChatModelUnitTests, ChatModelIntegrationTests), plus what the standard tests do not cover:
checked answers with citations, sessions, streaming order, errors.

The agent is real, with the scripted FakeLLM (answering from its evidence) and the hash embedder.
Declared unsupported (the standard tests then skip): tool calling, tool choice, structured
output, JSON mode, image / audio / video / PDF input, Anthropic-style inputs, a per-call model
override (one agent, one model), VCR-recorded timing (nothing goes over the network).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("langchain_core")
pytest.importorskip("langchain_tests")

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_tests.integration_tests import ChatModelIntegrationTests, RetrieversIntegrationTests
from langchain_tests.unit_tests import ChatModelUnitTests

from agent.langchain_chat import chat_congming_class
from agent.llm.fake import FakeLLM, evidence_reply, fake_tokens
from agent.settings import Settings
from graph.embedding import HashEmbedder
from graph.errors import InputError
from graph.ingest import Ingestor
from graph.knowledge import KnowledgeBase
from graph.langchain_retriever import langchain_retriever_class
from graph.retrieve import HybridRetriever

LIN = "My sister Lin lives in Hangzhou. She works at Alibaba as an engineer."
TOWERS = [  # (title, text): enough documents that k=3 finds three
    ("Eiffel Tower", "The Eiffel Tower is a wrought-iron lattice tower in Paris."),
    ("Tokyo Tower", "Tokyo Tower is a communications tower in Minato, Tokyo."),
    ("CN Tower", "The CN Tower is a concrete tower in Toronto."),
    ("Canton Tower", "The Canton Tower is a tower in Guangzhou."),
    ("Great Wall", "The Great Wall of China is a series of fortifications."),
]


# ---- the retriever --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def hybrid(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HybridRetriever]:
    with KnowledgeBase(tmp_path_factory.mktemp("lc-retriever") / "data", HashEmbedder(128)) as kb:
        ingestor = Ingestor(kb, None)
        for title, text in TOWERS:
            ingestor.ingest_text(text, user_id="alice", source=f"{title}.txt", title=title)
        yield HybridRetriever(kb)


class TestCongmingRetrieverStandard(RetrieversIntegrationTests):
    @pytest.fixture(autouse=True)
    def _knowledge(self, hybrid: HybridRetriever) -> None:
        self.hybrid = hybrid

    @property
    def retriever_constructor(self) -> type:
        return langchain_retriever_class()

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"retriever": self.hybrid, "user_id": "alice"}

    @property
    def retriever_query_example(self) -> str:
        return "Which tower is in Paris?"


def test_per_call_k_and_collection_replace_the_retrievers_own(hybrid):
    retriever = langchain_retriever_class()(retriever=hybrid, user_id="alice", k=5)
    assert len(retriever.invoke("tower")) == 5
    assert len(retriever.invoke("tower", k=2)) == 2
    assert retriever.k == 5 and len(retriever.invoke("tower")) == 5
    assert retriever.invoke("tower", collection="nothing-here") == []
    with pytest.raises(InputError, match="at least 1"):
        retriever.invoke("tower", k=0)
    with pytest.raises(InputError, match="top_k"):
        retriever.invoke("tower", top_k=2)


async def test_per_call_k_works_async_and_in_batches(hybrid):
    retriever = langchain_retriever_class()(retriever=hybrid, user_id="alice")
    assert len(await retriever.ainvoke("tower", k=1)) == 1
    assert [len(docs) for docs in await retriever.abatch(["tower", "wall"], k=2)] == [2, 2]


# ---- the chat model ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def chat_agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """An open Agent with the FakeLLM answering from evidence and the hash embedder; one document."""
    from agent import Agent

    with pytest.MonkeyPatch.context() as env:
        for name in list(os.environ):
            if name.startswith("CONGMING_"):
                env.delenv(name)
        folder = tmp_path_factory.mktemp("lc-chat")
        env.chdir(folder)
        settings = Settings.load(data_dir=folder / "data", llm={"threads": 1}, embedder={"backend": "hash"},
                                 knowledge={"extractor": "none"})
        agent = Agent(settings, llm=FakeLLM([evidence_reply]))
        agent.open()
        agent.ingest_text(LIN, source="lin.md", title="Lin", user_id="local")
        try:
            yield agent
        finally:
            agent.close_memory()
            agent.close()


class _ChatCongmingTests:
    """What the standard suites need to know about ChatCongming."""

    @pytest.fixture(autouse=True)
    def _agent(self, chat_agent: Any) -> None:
        self.agent = chat_agent

    @property
    def chat_model_class(self) -> type:
        return chat_congming_class()

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"agent": getattr(self, "agent", None)}

    @property
    def has_tool_calling(self) -> bool:
        return False  # congming answers from evidence; it does not call tools

    @property
    def has_tool_choice(self) -> bool:
        return False

    @property
    def has_structured_output(self) -> bool:
        return False  # its answers are checked text with citations

    @property
    def supports_json_mode(self) -> bool:
        return False

    @property
    def supports_image_inputs(self) -> bool:
        return False  # text only (a non-text content block is an InputError)

    @property
    def supports_image_urls(self) -> bool:
        return False

    @property
    def supports_pdf_inputs(self) -> bool:
        return False  # documents are ingested (Agent.ingest), not sent in a message

    @property
    def supports_audio_inputs(self) -> bool:
        return False

    @property
    def supports_video_inputs(self) -> bool:
        return False

    @property
    def supports_anthropic_inputs(self) -> bool:
        return False

    @property
    def supports_image_tool_message(self) -> bool:
        return False

    @property
    def supports_pdf_tool_message(self) -> bool:
        return False

    @property
    def returns_usage_metadata(self) -> bool:
        return True

    @property
    def supports_model_override(self) -> bool:
        return False  # one agent, one configured model

    @property
    def enable_vcr_tests(self) -> bool:
        return False  # nothing goes over the network to record


class TestChatCongmingUnit(_ChatCongmingTests, ChatModelUnitTests):
    pass


class TestChatCongmingIntegration(_ChatCongmingTests, ChatModelIntegrationTests):
    pass


# ---- ChatCongming beyond the standard tests ------------------------------------------------------

@pytest.fixture
def chat(chat_agent):
    return chat_congming_class()(agent=chat_agent)


def test_a_reply_is_the_checked_answer_with_citations_reasoning_and_usage(chat, chat_agent):
    message = chat.invoke("Where does Lin live?")
    assert isinstance(message, AIMessage) and "Hangzhou" in message.content
    meta = message.response_metadata
    assert meta["model_name"] == "congming" and meta["action"] in ("kept", "annotated", "read")
    assert meta["citations"][0]["number"] == 1 and "Hangzhou" in meta["citations"][0]["text"]
    assert meta["citations"][0]["source"] == "Lin" and meta["abstained"] is False
    assert meta["user_id"] == "local" and meta["session_id"].startswith("chat-") and meta["turn_id"]
    assert message.additional_kwargs["reasoning_content"] == "Evidence [1] answers this."
    usage = message.usage_metadata  # the fake tokenizer: words and marks, +4 a message
    assert usage["input_tokens"] == len(fake_tokens("Where does Lin live?")) + 4
    assert usage["output_tokens"] == len(fake_tokens(evidence_reply(chat_agent.llm.prompts[-1])))
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]


def test_a_made_up_answer_is_declined(tmp_path, settings):
    from agent import Agent

    settings.embedder.backend = "hash"
    made_up = "Reasoning: I recall it. Answer: Lin lives in Reykjavik and breeds horses since 1987."
    with Agent(settings, llm=FakeLLM([made_up])) as agent:
        agent.ingest_text(LIN, source="lin.md", title="Lin")
        message = chat_congming_class()(agent=agent).invoke("Where does Lin live?")
        agent.close_memory()
    assert "Reykjavik" not in message.content and message.response_metadata["abstained"] is True


def test_streaming_sends_reasoning_then_the_answer_once_then_metadata(chat):
    chunks = list(chat.stream("Where does Lin live?"))
    reasoning = "".join(c.additional_kwargs.get("reasoning_content", "") for c in chunks)
    answers = [c.content for c in chunks if c.content]
    assert reasoning.strip() == "Evidence [1] answers this."
    assert len(answers) == 1 and "Hangzhou" in answers[0]
    last = chunks[-1]
    assert last.chunk_position == "last" and last.response_metadata["citations"][0]["number"] == 1
    assert last.usage_metadata["input_tokens"] > 0
    assert sum(1 for c in chunks if c.response_metadata.get("model_name")) == 1


async def test_async_streaming_and_invoke_agree(chat):
    chunks = [chunk async for chunk in chat.astream("Where does Lin live?")]
    streamed = "".join(c.content for c in chunks)
    invoked = await chat.ainvoke("Where does Lin live?")
    assert "Hangzhou" in streamed and "Hangzhou" in invoked.content


def test_earlier_messages_restore_a_session_the_agent_does_not_hold(chat_agent):
    chat = chat_congming_class()(agent=chat_agent, session_id="restored-session")
    chat.invoke([SystemMessage("Be brief."), HumanMessage("My favourite colour is teal."),
                 AIMessage("Noted."), HumanMessage("Hello!")])
    prompt = "\n".join(m.content for m in chat_agent.llm.prompts[-1])
    assert "My favourite colour is teal." in prompt and "Be brief." not in prompt


def test_a_derived_session_starts_afresh_for_a_one_message_conversation(chat, chat_agent):
    chat.invoke([HumanMessage("My favourite colour is teal.")])
    chat.invoke([HumanMessage("My favourite colour is teal.")])
    prompt = "\n".join(m.content for m in chat_agent.llm.prompts[-1])
    assert prompt.count("My favourite colour is teal.") == 1


def test_stop_cuts_the_answer(chat):
    assert "Hangzhou" not in chat.invoke("Where does Lin live?", stop=["Hangzhou"]).content


def test_messages_it_cannot_answer_are_input_errors(chat):
    with pytest.raises(InputError, match="last message must be the user's"):
        chat.invoke([HumanMessage("Hello"), AIMessage("Hi")])
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
    with pytest.raises(InputError, match="text only"):
        chat.invoke([HumanMessage(content=[{"type": "text", "text": "What is this?"}, image])])


def test_importing_the_module_does_not_import_langchain():
    import subprocess
    import sys

    code = ("import sys, agent.langchain_chat; "
            "assert not any(m.startswith('langchain') for m in sys.modules), sorted(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[1])
