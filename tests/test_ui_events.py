"""The chat UI's translation of agent events into Chainlit calls, at the seam: a real Agent (scripted
FakeLLM, hash embedder) streams a turn into the real TurnRenderer, which drives real Chainlit
messages, steps and elements; only Chainlit's transport to the browser is replaced by an emitter
that records what would have been sent."""

from __future__ import annotations

import asyncio

import pytest

pytest.importorskip("chainlit")

LIN = "My sister Lin lives in Hangzhou. She works at Alibaba as an engineer."
GOOD = "Reasoning: Evidence [1] says Lin lives in Hangzhou. Answer: Lin lives in Hangzhou [1]."
MADE_UP = "Reasoning: I recall it. Answer: Lin lives in Reykjavik and breeds Icelandic horses since 1987."


class Recorder:
    """What the browser would receive, folded into the final state of each step and element."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def steps(self) -> dict[str, dict]:
        state: dict[str, dict] = {}
        for call in self.calls:
            kind, data = call[0], call[1]
            if kind == "stream_start":  # the first token comes with the step
                state[data["id"]] = {**data, "tokens": [data["output"]], "streamed": True}
            elif kind in ("send_step", "update_step"):
                known = state.get(data["id"], {"tokens": [], "streamed": False})
                state[data["id"]] = {**known, **data}
            elif kind == "send_token":
                state[data["id"]]["tokens"].append(data["token"])
            elif kind == "delete_step":
                state.pop(data["id"], None)
        return state

    def of_type(self, step_type: str) -> list[dict]:
        return [s for s in self.steps().values() if s["type"] == step_type]

    def elements(self) -> list[dict]:
        return [call[1] for call in self.calls if call[0] == "send_element"]

    def actions(self) -> list[dict]:
        return [call[2] for call in self.calls if call[0] == "emit" and call[1] == "action"]


@pytest.fixture
def ui():
    """Runs a coroutine inside a Chainlit context whose emitter records instead of sending."""
    from chainlit.context import ChainlitContext, context_var
    from chainlit.emitter import BaseChainlitEmitter
    from chainlit.session import HTTPSession

    recorder = Recorder()

    class RecordingEmitter(BaseChainlitEmitter):
        async def send_step(self, step_dict):
            recorder.calls.append(("send_step", dict(step_dict)))

        async def update_step(self, step_dict):
            recorder.calls.append(("update_step", dict(step_dict)))

        async def delete_step(self, step_dict):
            recorder.calls.append(("delete_step", dict(step_dict)))

        async def stream_start(self, step_dict):
            recorder.calls.append(("stream_start", dict(step_dict)))

        async def send_token(self, id, token, is_sequence=False, is_input=False):
            recorder.calls.append(("send_token", {"id": id, "token": token}))

        async def send_element(self, element_dict):
            recorder.calls.append(("send_element", dict(element_dict)))

        async def emit(self, event, data):
            recorder.calls.append(("emit", event, data))

    def run(make_coroutine):
        async def inside():
            session = HTTPSession(id="s1", thread_id="t1", token=None, user=None, client_type="webapp")
            context_var.set(ChainlitContext(session, emitter=RecordingEmitter(session)))
            return await make_coroutine()

        return asyncio.run(inside())

    run.recorder = recorder
    return run


def make_agent(settings, replies, **agent_settings):
    from agent import Agent
    from agent.llm.fake import FakeLLM

    settings.embedder.backend = "hash"
    for key, value in agent_settings.items():
        setattr(settings.agent, key, value)
    return Agent(settings, llm=FakeLLM(list(replies)))


def render_turn(ui, agent, message, language="en"):
    from ui.render import TurnRenderer
    from ui.text import UIText

    async def turn():
        renderer = TurnRenderer(UIText(language))
        await renderer.render(agent.stream(message, user_id="alice", session_id="t1"))
        return renderer

    return ui(turn)


def test_a_grounded_turn_shows_retrieval_reasoning_a_streamed_answer_and_a_clickable_citation(settings, ui):
    agent = make_agent(settings, [GOOD])
    with agent:
        agent.ingest_text(LIN, source="lin.md", title="Lin", user_id="alice")
        renderer = render_turn(ui, agent, "Where does Lin live?")
    recorder = ui.recorder
    reply = renderer.reply
    assert reply is not None and not reply.abstained

    [retrieval] = recorder.of_type("retrieval")
    assert retrieval["name"] == "Retrieval" and retrieval["end"]
    assert "**Lin** (relevant)" in retrieval["output"] and "Hangzhou" in retrieval["output"]

    [reasoning] = recorder.of_type("llm")
    assert reasoning["name"] == "Reasoning" and reasoning["streamed"] and reasoning["end"]
    assert reasoning["output"] == reply.reasoning == "Evidence [1] says Lin lives in Hangzhou."

    [answer] = recorder.of_type("assistant_message")
    assert answer["streamed"] and "Hangzhou" in "".join(answer["tokens"])
    assert answer["output"].startswith(reply.answer)
    assert answer["output"].endswith("**Sources:** [1] Lin")

    [element] = recorder.elements()
    assert (element["type"], element["name"], element["display"]) == ("text", "[1]", "side")
    assert element["forId"] == answer["id"]
    assert "[1]" in reply.answer  # the mark Chainlit turns into a link to the element
    assert ui.recorder.calls.index(next(c for c in recorder.calls if c[0] == "stream_start"
                                        and c[1]["type"] == "llm")) < ui.recorder.calls.index(
        next(c for c in recorder.calls if c[0] == "stream_start" and c[1]["type"] == "assistant_message"))


def test_the_citation_element_holds_the_passage_and_where_it_comes_from(settings, ui):
    from chainlit.config import FILES_DIRECTORY

    agent = make_agent(settings, [GOOD])
    with agent:
        agent.ingest_text(LIN, source="lin.md", title="Lin", user_id="alice")
        render_turn(ui, agent, "Where does Lin live?")
    [element] = ui.recorder.elements()
    [stored] = (FILES_DIRECTORY / "s1").glob(f"{element['chainlitKey']}*")
    content = stored.read_text(encoding="utf-8")
    assert content.startswith("**[1] Lin**") and LIN in content


def test_unsupported_sentences_are_marked_in_the_final_answer(settings, ui):
    agent = make_agent(settings, [MADE_UP], policy="annotate")
    with agent:
        agent.ingest_text(LIN, source="lin.md", title="Lin", user_id="alice")
        renderer = render_turn(ui, agent, "Where does Lin live?")
    assert renderer.reply.action == "annotated"
    [answer] = ui.recorder.of_type("assistant_message")
    assert "Reykjavik" in answer["output"] and "⚠️" in answer["output"]
    assert "_⚠️ marks sentences the sources do not support._" in answer["output"]


def test_the_streamed_draft_is_replaced_by_the_verified_answer(settings, ui):
    agent = make_agent(settings, [MADE_UP], policy="abstain")
    with agent:
        agent.ingest_text(LIN, source="lin.md", title="Lin", user_id="alice")
        renderer = render_turn(ui, agent, "Where does Lin live?")
    [answer] = ui.recorder.of_type("assistant_message")
    assert "Reykjavik" in "".join(answer["tokens"])  # what streamed first
    assert "Reykjavik" not in answer["output"] and "don't know" in answer["output"]
    assert renderer.reply.action == "abstained" and ui.recorder.elements() == []


def test_without_chain_of_thought_there_is_no_reasoning_step(settings, ui):
    agent = make_agent(settings, ["Lin lives in Hangzhou [1]."], chain_of_thought=False)
    with agent:
        agent.ingest_text(LIN, source="lin.md", title="Lin", user_id="alice")
        render_turn(ui, agent, "Where does Lin live?")
    assert ui.recorder.of_type("llm") == []
    assert "Hangzhou" in ui.recorder.of_type("assistant_message")[0]["output"]


def test_a_failed_turn_closes_its_steps_and_shows_the_error(settings, ui):
    agent = make_agent(settings, [GOOD])
    with agent:
        renderer = render_turn(ui, agent, "   ")
    assert renderer.reply is None and "empty" in renderer.error
    [retrieval] = ui.recorder.of_type("retrieval")
    assert retrieval["end"]
    [error] = ui.recorder.of_type("assistant_message")  # no answer, only the error
    assert error["isError"] and error["output"].startswith("Sorry, that did not work: ")


def test_chinese_ui_text(settings, ui):
    agent = make_agent(settings, ["推理：资料 [1] 说林住在杭州。答案：林住在杭州 [1]。"])
    with agent:
        agent.ingest_text("我的妹妹林住在杭州。她在阿里巴巴当工程师。", source="lin.md", title="林",
                          user_id="alice")
        render_turn(ui, agent, "林住在哪里？", language="zh")
    assert ui.recorder.of_type("retrieval")[0]["name"] == "检索"
    assert ui.recorder.of_type("llm")[0]["name"] == "推理过程"
    assert "**来源:** [1] 林" in ui.recorder.of_type("assistant_message")[0]["output"]


def test_actions_are_attached_to_the_answer_when_the_turn_is_done(settings, ui):
    import chainlit as cl

    from ui.render import TurnRenderer
    from ui.text import UIText

    agent = make_agent(settings, ["Answer: Noted."])

    async def turn():
        action = cl.Action(name="show_graph", payload={"topic": "tea"}, label="Knowledge graph")
        renderer = TurnRenderer(UIText("en"), actions=[action])
        await renderer.render(agent.stream("I like green tea.", user_id="alice", session_id="t1"))
        return renderer

    with agent:
        ui(turn)
    [answer] = ui.recorder.of_type("assistant_message")
    [action] = ui.recorder.actions()
    assert action["name"] == "show_graph" and action["forId"] == answer["id"]
    assert answer["output"] == "Noted."


def test_a_saved_chat_gives_its_turns_back_to_working_memory_when_resumed(settings, ui):
    """The answer message keeps the plain answer and turn id; a resumed chat (a restart: a new
    agent) puts those turns back, so the model sees the conversation it is continuing."""
    import json

    from ui.history import turns_from_thread

    agent = make_agent(settings, [GOOD])
    with agent:
        agent.ingest_text(LIN, source="lin.md", title="Lin", user_id="alice")
        reply = render_turn(ui, agent, "Where does Lin live?").reply
    [answer] = ui.recorder.of_type("assistant_message")
    assert (answer["metadata"]["answer"], answer["metadata"]["turn_id"]) == (reply.answer, reply.turn_id)
    saved = {"steps": [{"type": "user_message", "output": "Where does Lin live?"},
                       {"type": "run", "output": ""},
                       {**answer, "metadata": json.dumps(answer["metadata"])},  # as SQLite gives it back
                       {"type": "user_message", "output": "an upload that got no answer"}]}
    turns = turns_from_thread(saved)
    assert [(t.user, t.answer, t.id) for t in turns] == [("Where does Lin live?", reply.answer,
                                                          reply.turn_id)]

    settings.memory.enabled = False  # only working memory can bring the turn back here
    restarted = make_agent(settings, ["You are welcome."])
    with restarted:
        assert restarted.resume_session(turns, user_id="alice", session_id="t1")
        assert not restarted.resume_session(turns, user_id="alice", session_id="t1")  # it has them now
        restarted.chat("Thanks, that helps.", user_id="alice", session_id="t1")
    prompt = "\n".join(m.content for m in restarted.llm.prompts[0])
    assert "Where does Lin live?" in prompt and reply.answer in prompt
