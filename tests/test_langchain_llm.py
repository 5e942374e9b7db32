"""The LangChain backend: message conversion, options passed on, token counts."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import Field

from agent.errors import ConfigError
from agent.llm.base import ChatMessage, GenerationOptions
from agent.llm.estimate import estimate_message_tokens
from agent.llm.langchain_llm import LangChainLLM, _content_text

pytest.importorskip("langchain_core")

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, ChatResult

CHAT = [ChatMessage("system", "Be brief."), ChatMessage("user", "Hi"),
        ChatMessage("assistant", "Hello!"), ChatMessage("user", "Name the message types")]


class TypeEchoModel(BaseChatModel):
    """Answers with the LangChain types of the messages it got; keeps its call kwargs."""

    max_tokens: int | None = None
    temperature: float = 0.7
    calls: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "type-echo"

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        self.calls.append({"stop": stop, **kwargs})
        text = " ".join(type(m).__name__ for m in messages)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])


def test_messages_become_langchain_messages_and_options_are_passed():
    model = TypeEchoModel()
    llm = LangChainLLM(model)
    reply = llm.complete(CHAT, GenerationOptions(max_tokens=50, temperature=0.0, stop=("zz",)))
    assert reply == "SystemMessage HumanMessage AIMessage HumanMessage"
    assert model.calls == [{"stop": ["zz"], "max_tokens": 50, "temperature": 0.0}]


def test_a_model_that_can_count_counts_the_prompt_and_the_output():
    model = TypeEchoModel(custom_get_token_ids=lambda text: text.split())
    llm = LangChainLLM(model)
    lc_messages = llm._to_langchain(CHAT)
    assert llm.count_tokens(CHAT) == model.get_num_tokens_from_messages(lc_messages)
    assert llm.complete(CHAT, GenerationOptions(max_tokens=2)) == ""  # one chunk of 4 words
    fakes = pytest.importorskip("langchain_core.language_models.fake_chat_models")
    words = fakes.GenericFakeChatModel(messages=iter(["one two three four five"]),
                                       custom_get_token_ids=lambda text: text.split())
    assert LangChainLLM(words).complete(CHAT, GenerationOptions(max_tokens=3)) == "one two three "


def _no_tokenizer(text: str) -> list[int]:
    raise OSError("no tokenizer files (offline)")


def test_a_model_that_cannot_count_is_estimated():
    llm = LangChainLLM(TypeEchoModel(custom_get_token_ids=_no_tokenizer))
    assert llm.count_tokens(CHAT) == estimate_message_tokens(m.content for m in CHAT)


def test_not_a_chat_model_is_a_config_error():
    with pytest.raises(ConfigError, match="BaseChatModel"):
        LangChainLLM(object()).complete(CHAT)


def test_content_blocks_are_read_as_text():
    blocks = [{"type": "text", "text": "Hel"}, {"type": "image_url", "url": "x"}, "lo"]
    assert _content_text(blocks) == "Hello"
    assert _content_text("plain") == "plain"
    assert _content_text([]) == ""
