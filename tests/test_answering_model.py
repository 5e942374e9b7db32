"""The whole agent on the default install: the packaged model and embedder, answers from a user's
own documents in English and Chinese, cited, and a decline where the documents say nothing."""

import pytest

from agent import Agent

KESTREL = ("# Kestrel Loom Analytics\n\nKestrel Loom Analytics builds forecasting software for water "
           "utilities. The company was founded in 2011 in Marrowgate. In 2016 it moved its head office to "
           "Port Ellery. In 2023 it employed 340 people.\n")
XINGHE = "# 星河科技公司简介\n\n星河科技成立于2015年，总部位于临江市。公司现有员工450人，总经理是韩明远。\n"


@pytest.mark.model
@pytest.mark.slow
def test_the_default_install_answers_with_citations_and_declines(settings):
    with Agent(settings) as agent:
        agent.ingest_text(KESTREL, source="kestrel.md", title="Kestrel Loom Analytics")
        agent.ingest_text(XINGHE, source="xinghe.md", title="星河科技公司简介")
        founded = agent.chat("When was Kestrel Loom founded?", session_id="a")
        office = agent.chat("Where is Kestrel Loom's main office?", session_id="b")
        manager = agent.chat("星河科技的总经理是谁？", session_id="c")
        unknown = agent.chat("Who is Kestrel Loom's chief financial officer?", session_id="d")
        told = agent.chat("My sister Lin lives in Hangzhou.", session_id="e")
    assert founded.action == "read" and founded.answer.startswith("2011 [")
    assert founded.citations and founded.citations[0].passage.source == "Kestrel Loom Analytics"
    assert office.answer.startswith("Port Ellery [") and office.citations
    assert manager.answer.startswith("韩明远[") and manager.citations
    assert unknown.abstained and "don't know" in unknown.answer
    assert told.answer == "Noted. I'll remember: “My sister Lin lives in Hangzhou.”"


@pytest.mark.model
@pytest.mark.slow
def test_the_default_install_follows_a_change_told_in_chat(settings):
    with Agent(settings) as agent:
        for said in ("My sister Lin lives in Hangzhou.", "She works as a nurse.", "Lin moved to Shanghai."):
            agent.chat(said, user_id="ann", session_id="told")
        for said in ("我表哥骆星河住在青枫市。", "他上个月搬到了云汐市。"):
            agent.chat(said, user_id="ann", session_id="告诉")
        assert agent.memory.drain(timeout=120)
        where = agent.chat("Where does my sister live now?", user_id="ann", session_id="asked")
        cousin = agent.chat("我表哥住在哪里？", user_id="ann", session_id="问")
        history = [(f.object, f.current) for f in agent.memory.facts.history("ann", "Lin", "lives_in")]
    assert where.action == "read" and where.answer.startswith("Shanghai [")
    assert "Hangzhou" not in where.answer and where.citations[0].passage.kind in ("fact", "turn")
    assert "What you told me on" in where.answer
    assert cousin.answer.startswith("云汐市[") and "青枫市" not in cousin.answer
    assert history == [("Shanghai", True), ("Hangzhou", False)]
