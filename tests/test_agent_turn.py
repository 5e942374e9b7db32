"""One chat turn through Agent.stream / chat with the scripted FakeLLM: every event, policy and
error path. The real packaged model runs the same path in tests/test_agent_model.py."""


import pytest

from agent.errors import CongmingError, InputError
from agent.events import (
    AnswerToken,
    Citation,
    MemoryScheduled,
    ReasoningToken,
    RetrievalDone,
    TurnDone,
    TurnFailed,
    VerificationDone,
)
from agent.llm.fake import FakeLLM
from memory.parts import Passage
from tests.turn_support import events_of, make_agent

LIN = "My sister Lin lives in Hangzhou. She works at Alibaba as an engineer."
GOOD = "Reasoning: Evidence [1] says Lin lives in Hangzhou. Answer: Lin lives in Hangzhou [1]."
MADE_UP = "Reasoning: I recall it. Answer: Lin lives in Reykjavik and breeds Icelandic horses since 1987."


def test_a_grounded_answer_streams_every_event_in_order_and_cites_its_evidence(settings):
    agent, llm = make_agent(settings, [GOOD])
    with agent:
        agent.ingest_text(LIN, source="lin.md", title="Lin")
        events = events_of(agent, "Where does Lin live?")
    kinds = [type(event) for event in events]
    assert kinds[0] is RetrievalDone and kinds[-1] is TurnDone
    first_answer = kinds.index(AnswerToken)
    assert ReasoningToken in kinds[:first_answer]
    assert kinds.index(VerificationDone) > max(i for i, k in enumerate(kinds) if k is AnswerToken)
    retrieval = events[0]
    assert "Hangzhou" in retrieval.evidence[0].text and retrieval.relevant
    reply = events[-1].reply
    assert reply.action in ("kept", "annotated") and not reply.abstained
    assert "Hangzhou" in reply.answer
    assert reply.reasoning == "Evidence [1] says Lin lives in Hangzhou."
    assert reply.citations and reply.citations[0].number == 1 and reply.citations[0].passage.source == "Lin"
    assert [e for e in events if isinstance(e, Citation)] == list(reply.citations)
    prompt = "\n".join(m.content for m in llm.prompts[0])
    assert "[1] " + LIN in prompt and "Reasoning:" in prompt and "Where does Lin live?" in prompt
    assert reply.tokens > 0 and reply.seconds > 0 and reply.verification.grounded


def test_nothing_relevant_means_no_evidence_without_asking_the_model(settings):
    agent, llm = make_agent(settings, [MADE_UP])
    with agent:
        reply = agent.chat("Where does Lin live?")
    assert reply.action == "no_evidence" and reply.abstained
    assert "don't know" in reply.answer
    assert llm.prompts == []


@pytest.mark.parametrize(("policy", "action"), [
    ("abstain", "abstained"), ("extractive", "extractive"), ("annotate", "annotated"),
])
def test_an_unsupported_answer_is_handled_by_policy(settings, policy, action):
    agent, _ = make_agent(settings, [MADE_UP], policy=policy)
    with agent:
        agent.ingest_text(LIN, source="lin.md", title="Lin")
        reply = agent.chat("Where does Lin live?")
    assert reply.action == action
    assert not reply.verification.grounded
    if action == "abstained":
        assert "don't know" in reply.answer and "Reykjavik" not in reply.answer
    elif action == "extractive":
        assert "Hangzhou" in reply.answer and "Reykjavik" not in reply.answer
    else:
        assert "Reykjavik" in reply.answer and "[unsupported]" in reply.answer


def test_statements_are_answered_without_verification(settings):
    agent, _ = make_agent(settings, ["Nice, I will keep that in mind."])
    with agent:
        reply = agent.chat("My sister Lin lives in Hangzhou.")
    assert (reply.action, reply.verification) == ("kept", None)
    assert reply.answer == "Nice, I will keep that in mind."


def test_a_reply_to_a_statement_streams_as_answer_not_reasoning(settings):
    agent, llm = make_agent(settings, ["Nice, I will keep that in mind."])  # chain of thought is on
    with agent:
        events = events_of(agent, "My sister Lin lives in Hangzhou.")
    assert not any(isinstance(event, ReasoningToken) for event in events)
    streamed = "".join(event.text for event in events if isinstance(event, AnswerToken))
    assert streamed == "Nice, I will keep that in mind."
    assert "Reasoning:" not in llm.prompts[0][0].content


def test_reasoning_is_never_fed_into_later_turns(settings):
    agent, llm = make_agent(settings, ["Reasoning: SECRET-THOUGHT. Answer: Noted.", "Answer: Sure."])
    with agent:
        agent.chat("I like tea.", session_id="s")
        agent.chat("I like coffee too.", session_id="s")
    second = "\n".join(m.content for m in llm.prompts[1])
    assert "I like tea." in second and "Noted." in second
    assert "SECRET-THOUGHT" not in second


def test_sessions_have_their_own_working_memory(settings):
    settings.memory.enabled = False  # long-term memory is shared across sessions by design
    agent, llm = make_agent(settings, ["Answer: Noted."])
    with agent:
        agent.chat("I like green tea.", session_id="a")
        agent.chat("Hello there.", session_id="b")
    assert "green tea" not in "\n".join(m.content for m in llm.prompts[1])


@pytest.mark.parametrize(("document", "first", "follow_up", "absent"), [
    (LIN, "Where does Lin live?", "What does she do?", "What is her salary?"),
    ("我的妹妹林住在杭州。她在阿里巴巴当工程师。", "林住在哪里？", "她是做什么的？", "她的工资是多少？"),
])
def test_a_follow_up_question_is_read_with_the_one_before_it(settings, document, first, follow_up, absent):
    settings.memory.enabled = False
    agent, llm = make_agent(settings, ["Answer: From the notes [1]."])
    with agent:
        agent.ingest_text(document, source="lin.md", title="Lin")
        agent.chat(first, session_id="s")
        followed = agent.chat(follow_up, session_id="s")
        alone = agent.chat(follow_up, session_id="new")  # nothing before it to refer to
        missing = agent.chat(absent, session_id="s")
    assert followed.action != "no_evidence" and followed.evidence and "[1] " in "\n".join(
        m.content for m in llm.prompts[1])
    assert alone.action == "no_evidence"
    assert missing.action == "no_evidence"  # the earlier question does not make anything relevant


def test_explicit_evidence_skips_retrieval_and_numbers_the_passages(settings):
    agent, llm = make_agent(settings, ["Answer: The Nile flows into the Mediterranean Sea [2]."])
    evidence = [Passage("Quokkas live on Rottnest Island.", "q"),
                Passage("The Nile flows north into the Mediterranean Sea.", "nile")]
    with agent:
        reply = agent.chat("Where does the Nile flow?", evidence=evidence)
    assert not reply.abstained and "Mediterranean" in reply.answer
    assert any(c.passage.source == "nile" for c in reply.citations)
    assert "Quokkas" not in "\n".join(m.content for m in llm.prompts[0])  # judged irrelevant, not shown


def test_chain_of_thought_can_be_turned_off(settings):
    agent, llm = make_agent(settings, ["Lin lives in Hangzhou [1]."], chain_of_thought=False)
    with agent:
        agent.ingest_text(LIN, source="lin.md", title="Lin")
        reply = agent.chat("Where does Lin live?")
    assert "Reasoning:" not in "\n".join(m.content for m in llm.prompts[0])
    assert reply.reasoning == "" and "Hangzhou" in reply.answer


def test_one_turns_options_override_the_settings_for_that_turn_only(settings):
    from agent import TurnOptions

    agent, llm = make_agent(settings, [MADE_UP], policy="abstain", chain_of_thought=True)
    other = FakeLLM(["Lin lives in Hangzhou [1]."])
    with agent:
        agent.ingest_text(LIN, source="lin.md", title="Lin")
        annotated = agent.chat("Where does Lin live?", options=TurnOptions(policy="annotate", temperature=1.1,
                                                                           max_tokens=64))
        plain = agent.chat("Where does Lin live?", options=TurnOptions(chain_of_thought=False, llm=other))
        default = agent.chat("Where does Lin live?")
    assert annotated.action == "annotated" and "[unsupported]" in annotated.answer
    assert (llm.options[0].temperature, llm.options[0].max_tokens) == (1.1, 64)
    assert plain.answer.startswith("Lin lives in Hangzhou") and len(other.prompts) == 1
    assert "Reasoning:" not in "\n".join(m.content for m in other.prompts[0])
    assert default.action == "abstained" and len(llm.prompts) == 2
    assert (llm.options[1].temperature, llm.options[1].max_tokens) == (settings.llm.temperature,
                                                                       settings.llm.max_tokens)
    assert "Reasoning:" in "\n".join(m.content for m in llm.prompts[1])


@pytest.mark.parametrize(("options", "match"), [
    ({"temperature": 3.0}, "temperature"), ({"max_tokens": 0}, "max_tokens"), ({"policy": "lie"}, "policy"),
])
def test_bad_turn_options_say_what_is_wrong(options, match):
    from agent import TurnOptions
    from agent.errors import ConfigError

    with pytest.raises(ConfigError, match=match):
        TurnOptions(**options)


def test_with_self_check_the_model_judges_each_claim_and_a_no_declines_the_answer(settings):
    agent, llm = make_agent(settings, [GOOD, "NO"], self_check=True)
    with agent:
        agent.ingest_text(LIN, source="lin.md", title="Lin")
        reply = agent.chat("Where does Lin live?")
    judged = "\n".join(m.content for m in llm.prompts[1])
    assert "Claim: Lin lives in Hangzhou" in judged and LIN in judged
    assert llm.options[1].max_tokens == 3
    assert reply.action == "abstained"  # the verifier alone keeps this answer (see the first test)


def test_chinese_messages_get_chinese_prompts_and_replies(settings):
    agent, llm = make_agent(settings, ["推理：资料 [1] 说林住在杭州。答案：林住在杭州 [1]。"])
    with agent:
        agent.ingest_text("我的妹妹林住在杭州，她在阿里巴巴工作。", source="lin-zh.md", title="林")
        reply = agent.chat("林住在哪里？")
        nothing = agent.chat("火星上有几座城市？")
    prompt = "\n".join(m.content for m in llm.prompts[0])
    assert "资料：" in prompt and "问题：林住在哪里？" in prompt
    assert reply.language == "zh" and "杭州" in reply.answer and reply.reasoning == "资料 [1] 说林住在杭州。"
    assert nothing.abstained and "我不知道" in nothing.answer


def test_self_consistency_takes_the_majority_answer(settings):
    replies = ["Reasoning: a. Answer: Hangzhou [1].", "Reasoning: b. Answer: Shanghai.",
               "Reasoning: c. Answer: hangzhou [1]"]
    agent, llm = make_agent(settings, replies, self_consistency=3, policy="annotate")
    with agent:
        agent.ingest_text(LIN, source="lin.md", title="Lin")
        reply = agent.chat("Which city does Lin live in?")
    assert len(llm.prompts) == 3
    assert "Hangzhou" in reply.answer and reply.reasoning == "a."


@pytest.mark.parametrize(("message", "match"), [
    ("", "empty"), ("   \n\t ", "empty"), ("x" * 20_001, "limit is 20,000"), (None, "must be text"),
])
def test_bad_messages_fail_clearly_and_change_nothing(settings, message, match):
    agent, llm = make_agent(settings)
    with agent:
        events = events_of(agent, message)
        assert len(events) == 1 and isinstance(events[0], TurnFailed)
        assert isinstance(events[0].error, InputError) and match in events[0].message
        with pytest.raises(InputError, match=match):
            agent.chat(message)
    assert llm.prompts == []


def test_broken_unicode_is_repaired_not_fatal(settings):
    agent, llm = make_agent(settings, ["Answer: Hi."])
    with agent:
        reply = agent.chat("hello \ud800 there\x00")
    assert reply.answer == "Hi."
    assert "hello \ufffd there" in llm.prompts[0][-1].content


def test_a_model_failure_ends_the_turn_with_an_error_and_remembers_nothing(settings):
    def explode(messages):
        raise RuntimeError("the model crashed")

    agent, llm = make_agent(settings, [explode, "Answer: fine."])
    with agent:
        failed = events_of(agent, "I like tea.", session_id="s")
        assert isinstance(failed[-1], TurnFailed) and isinstance(failed[-1].error, CongmingError)
        assert "the model crashed" in failed[-1].message
        agent.chat("Hello.", session_id="s")
    assert "I like tea." not in "\n".join(m.content for m in llm.prompts[-1])


async def test_chat_is_safe_inside_a_running_event_loop(settings):
    agent, _ = make_agent(settings, ["Answer: Hi."])
    with agent:
        assert agent.chat("Hello.").answer == "Hi."
        assert (await agent.achat("Hello again.")).answer == "Hi."


def test_each_turn_is_scheduled_for_long_term_memory(settings):
    agent, _ = make_agent(settings, ["Answer: Noted."])
    with agent:
        events = events_of(agent, "I like tea.")
    scheduled = [event for event in events if isinstance(event, MemoryScheduled)]
    assert len(scheduled) == 1 and events[-1].reply.memory_job == scheduled[0].job_id
    assert type(events[-2]) is MemoryScheduled


def test_what_the_user_said_is_recalled_in_a_later_session_and_only_for_them(settings):
    agent, llm = make_agent(settings, ["Answer: Noted.", "Answer: Lin lives in Hangzhou."])
    with agent:
        agent.chat("My sister Lin lives in Hangzhou.", user_id="ann", session_id="monday")
        assert agent.memory.drain(timeout=60)
        reply = agent.chat("Where does my sister Lin live?", user_id="ann", session_id="tuesday")
        stranger = agent.chat("Where does my sister Lin live?", user_id="bob", session_id="tuesday")
    prompt = "\n".join(m.content for m in llm.prompts[1])
    assert "Hangzhou" in prompt and not reply.abstained and "Hangzhou" in reply.answer
    assert any(c.passage.kind in ("fact", "turn") for c in reply.citations)
    assert stranger.abstained and len(llm.prompts) == 2  # bob's question never reached the model


def test_with_memory_off_nothing_is_scheduled(settings):
    settings.memory.enabled = False
    agent, _ = make_agent(settings, ["Answer: Noted."])
    with agent:
        events = events_of(agent, "I like tea.")
    assert not any(isinstance(event, MemoryScheduled) for event in events)
    assert events[-1].reply.memory_job is None
