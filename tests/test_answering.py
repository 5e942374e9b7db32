"""Who answers a turn, and what a user reads: the evidence reader, computed answers, template
replies to statements, the question-aware check, degenerate model text, and bad input.
The scripted FakeLLM stands in for the model; test_answering_model.py runs the packaged one."""


import pytest

from agent.errors import InputError
from agent.events import AnswerToken, Citation, ReasoningToken, RetrievalDone, TurnDone, TurnFailed
from tests.turn_support import events_of, make_agent

BLUEFIN = ("Bluefin Robotics builds underwater drones for harbour inspections. The company was "
           "founded in 2008 by Mara Quist in Lowhaven. In 2023 it employed 120 people. The Marlin-7 drone "
           "can dive to a depth of 300 meters.")


def test_the_reader_answers_from_the_evidence_with_a_citation_and_no_model(settings):
    agent, llm = make_agent(settings, answerer="reader")
    with agent:
        agent.ingest_text(BLUEFIN, source="bluefin.md", title="Bluefin Robotics")
        events = events_of(agent, "When was Bluefin Robotics founded?")
    reply = events[-1].reply
    assert reply.action == "read" and not reply.abstained
    assert reply.answer.startswith("2008 [1]") and "founded in 2008" in reply.answer
    assert [e.number for e in events if isinstance(e, Citation)] == [1]
    assert reply.citations[0].passage.source == "Bluefin Robotics"
    assert any(isinstance(e, ReasoningToken) and "date" in e.text for e in events)
    assert reply.verification is not None and reply.verification.grounded
    assert llm.prompts == []  # the model wrote nothing


def test_the_reader_declines_what_the_documents_do_not_say(settings):
    agent, llm = make_agent(settings, answerer="reader")
    with agent:
        agent.ingest_text(BLUEFIN, source="bluefin.md", title="Bluefin Robotics")
        assert agent.chat("Who is the chief financial officer of Bluefin Robotics?").abstained
        assert agent.chat("How much does the Marlin-7 weigh?").abstained
    assert llm.prompts == []


def test_auto_uses_the_reader_for_a_small_model_and_the_llm_otherwise(settings):
    good = "Reasoning: [1] says so. Answer: Bluefin Robotics was founded in 2008 [1]."
    agent, llm = make_agent(settings, [good])
    with agent:
        agent.ingest_text(BLUEFIN, source="bluefin.md", title="Bluefin Robotics")
        assert agent.chat("When was Bluefin Robotics founded?").action in ("kept", "annotated")
        assert len(llm.prompts) == 1
        settings.llm.small = True  # marked small: the reader answers
        assert agent.chat("When was Bluefin Robotics founded?").action == "read"
        assert len(llm.prompts) == 1


def test_a_wrong_year_that_occurs_in_the_evidence_is_not_passed(settings):
    """The issue's regression: "2023" for "founded" passed because 2023 occurs in the evidence."""
    agent, _ = make_agent(settings, ["Answer: 2023 [1]."], policy="abstain", answerer="llm")
    with agent:
        agent.ingest_text(BLUEFIN, source="bluefin.md", title="Bluefin Robotics")
        reply = agent.chat("When was Bluefin Robotics founded?")
    assert reply.abstained and "2023" not in reply.answer


def test_degenerate_model_text_is_never_shown_or_remembered(settings):
    junk = "Answer: " + "星河科技公司简介是星河科技公司简介[1]。" * 13
    agent, _ = make_agent(settings, [junk], answerer="llm", policy="annotate")
    with agent:
        agent.ingest_text("星河科技公司简介。星河科技的总部位于临江市。", source="xh.md",
                          title="星河科技公司简介")
        reply = agent.chat("星河科技的总部在哪里？")
        assert agent.memory.drain(timeout=60)
        remembered = agent.memory.turns("local")
    assert reply.abstained and "公司简介是" not in reply.answer
    assert remembered and all("公司简介是" not in episode.text for episode in remembered)


def test_a_statement_gets_a_short_acknowledgement_in_the_users_language(settings):
    agent, llm = make_agent(settings, answerer="reader")
    with agent:
        english = agent.chat("My sister Lin lives in Hangzhou.")
        chinese = agent.chat("我表哥骆星河在青枫市工作。")
        thanks = agent.chat("Thanks!")
    assert english.action == "kept"
    assert english.answer == "Noted. I'll remember: “My sister Lin lives in Hangzhou.”"
    assert chinese.answer == "好的，我记住了：“我表哥骆星河在青枫市工作。”"
    assert thanks.answer == "You're welcome."
    assert llm.prompts == []


@pytest.mark.parametrize(("message", "expected"), [
    ("Hello! What is 1+1?", "1 + 1 = 2"),
    ("3 公里是多少米？", "3000 米"),
])
def test_what_can_be_known_exactly_is_computed(settings, message, expected):
    agent, llm = make_agent(settings, answerer="reader")
    with agent:
        events = events_of(agent, message)
    reply = events[-1].reply
    assert reply.action == "computed" and expected in reply.answer
    assert events[0] == RetrievalDone((), (), (), 0.0)
    assert llm.prompts == []


def test_general_knowledge_is_labelled_and_unchecked_when_allowed(settings):
    agent, _ = make_agent(settings, ["Answer: Paris is the capital of France."], answerer="llm",
                          general_knowledge=True)
    with agent:
        reply = agent.chat("What is the capital of France?")
    assert reply.action == "unchecked"
    assert reply.answer.startswith("(From the model's own knowledge") and "Paris" in reply.answer


def test_the_assistants_own_replies_are_never_evidence(settings):
    made_up = "Answer: The Marlin-7 was designed on the Moon by Zork Quintain."
    agent, _ = make_agent(settings, [made_up], answerer="llm", policy="annotate")
    with agent:
        agent.chat("Tell me something about the Marlin-7 drone", session_id="one")
        assert agent.memory.drain(timeout=60)
        events = events_of(agent, "Who designed the Marlin-7?", session_id="two")
    evidence = events[0].evidence
    assert evidence, "the earlier user turn is recalled"
    assert all("Zork" not in p.text and "assistant" not in p.text for p in evidence)


@pytest.mark.parametrize("message", ["", "   ", "a" * 1_000_001])
def test_empty_or_huge_messages_fail_clearly(settings, message):
    agent, _ = make_agent(settings, answerer="reader")
    with agent:
        events = events_of(agent, message)
    assert isinstance(events[-1], TurnFailed) and isinstance(events[-1].error, InputError)
    with agent, pytest.raises(InputError):
        agent.chat(message)


@pytest.mark.parametrize("message", ["?？!…", "Aerolux H3 的保修期多长？", "Where is 星河科技的总部?",
                                     "\ud800 where?"])
def test_odd_questions_get_a_clear_reply(settings, message):
    agent, _ = make_agent(settings, answerer="reader")
    with agent:
        agent.ingest_text(BLUEFIN, source="bluefin.md", title="Bluefin Robotics")
        events = events_of(agent, message)
    assert isinstance(events[-1], TurnDone)
    reply = events[-1].reply
    assert reply.answer.strip() and any(isinstance(e, AnswerToken) for e in events)


@pytest.mark.parametrize(("document", "question", "expected"), [
    ("钟鼓楼：老城的地标，建于1887年。登楼门票20元，学生半价。", "学生登钟鼓楼要花多少钱？",
     "10元（20元的半价）"),
    ("The Old Mill museum is open daily. Tickets cost £12, children half price.",
     "How much do children pay at the Old Mill museum?", "£6 (half of £12)"),
])
def test_a_price_given_as_a_share_of_another_is_computed_and_its_sentence_cited(settings, document, question,
                                                                                 expected):
    agent, llm = make_agent(settings, answerer="reader")
    with agent:
        agent.ingest_text(document, source="guide.md", title="Old town guide")
        reply = agent.chat(question)
    assert reply.action == "read" and reply.answer.startswith(expected)
    assert reply.citations and reply.verification is not None and reply.verification.grounded
    assert llm.prompts == []


def test_a_share_with_no_single_price_to_take_it_of_is_declined(settings):
    agent, _ = make_agent(settings, answerer="reader")
    with agent:
        agent.ingest_text("钟鼓楼：登楼门票20元，夜场30元，学生半价。", source="guide.md",
                          title="Old town guide")
        assert agent.chat("学生登钟鼓楼要花多少钱？").abstained
