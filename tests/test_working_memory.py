"""Working memory: the context buffer inside a token budget (memory/working.py)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.llm.fake import FakeLLM
from agent.memory_port import MemoryModelPort
from graph.errors import ConfigError, CongmingError
from memory.errors import ContextBudgetError
from memory.parts import Passage, PinnedFact, Summary, Turn
from memory.summary import Summarizer
from memory.types import Message
from memory.working import BudgetPolicy, ContextBuilder, WorkingMemory

SYSTEM = "You are a helpful assistant."


def port(*replies) -> MemoryModelPort:
    return MemoryModelPort(FakeLLM(list(replies)))


class TemplatedCounter:
    """Counts like a chat template: a fixed wrapper plus uneven per-message costs, so the total is
    not the sum of the parts' counts (the builder must count the whole rendered context)."""

    def __init__(self, inner: MemoryModelPort) -> None:
        self.inner = inner

    def count_tokens(self, messages) -> int:
        return self.inner.count_tokens(messages) + 7 + sum(len(m.content) % 3 for m in messages)


def turns(n: int, words: int = 3) -> list[Turn]:
    return [Turn(f"question {i} " + "word " * words, f"answer {i} " + "word " * words, f"t{i}")
            for i in range(n)]


def builder(budget: int, model: MemoryModelPort | TemplatedCounter | None = None, *,
            llm_summary: bool = False, **policy) -> ContextBuilder:
    model = model or port()
    llm = model.inner if isinstance(model, TemplatedCounter) else model
    return ContextBuilder(model, budget=budget, policy=BudgetPolicy(**policy),
                          summarizer=Summarizer(model, llm if llm_summary else None))


def size(model: MemoryModelPort, **inputs) -> int:
    """Tokens of the context with every input kept (a budget large enough for all of it)."""
    return builder(10**6, model).build(system=SYSTEM, **inputs).tokens


def assert_within(context, model: MemoryModelPort) -> None:
    assert context.tokens == model.count_tokens(list(context.messages)) <= context.budget


# ---- rendering ------------------------------------------------------------------------
def test_renders_parts_in_order_as_one_system_message_then_alternating_turns():
    context = builder(10_000).build(
        system=SYSTEM, question="Where does Lin live?", turns=turns(2),
        summary=Summary("The user has a sister, Lin.", turns=3),
        facts=[PinnedFact("Sister: Lin")], evidence=[Passage("Lin lives in Hangzhou.", source="notes.md")])
    roles = [m.role for m in context.messages]
    assert roles == ["system", "user", "assistant", "user", "assistant", "user"]
    system = context.messages[0].content
    assert system.index(SYSTEM) < system.index("- Sister: Lin") < system.index("The user has a sister")
    assert context.messages[1].content == turns(2)[0].user
    assert context.messages[-1].content == (
        "Evidence:\n[1] Lin lives in Hangzhou. (source: notes.md)\n\nWhere does Lin live?")
    assert context.summary_source == "kept"


def test_empty_history_gives_system_and_question():
    model = port()
    context = builder(100, model).build(system=SYSTEM, question="Hello?")
    assert context.messages == (Message("system", SYSTEM), Message("user", "Hello?"))
    assert_within(context, model)
    assert context.summary == Summary() and context.turns == () and context.folded == ()


# ---- budget edges ---------------------------------------------------------------------
def test_system_and_question_exactly_at_budget_fit_and_one_token_less_raises():
    model = port()
    needed = model.count_tokens([Message("system", SYSTEM), Message("user", "Hi there")])
    context = builder(needed, model).build(system=SYSTEM, question="Hi there")
    assert context.tokens == needed
    with pytest.raises(ContextBudgetError) as error:
        builder(needed - 1, model).build(system=SYSTEM, question="Hi there")
    assert isinstance(error.value, CongmingError)
    assert error.value.needed == needed and "CONGMING_LLM__N_CTX" in str(error.value)


def test_history_exactly_at_budget_is_kept_whole_and_one_token_over_folds_the_oldest():
    model = port()
    history = turns(4)
    full = size(model, question="And now?", turns=history)
    exact = builder(full, model).build(system=SYSTEM, question="And now?", turns=history)
    assert exact.tokens == full and exact.turns == tuple(history) and exact.folded == ()
    over = builder(full - 1, model).build(system=SYSTEM, question="And now?", turns=history)
    assert_within(over, model)
    assert over.folded == tuple(history[: len(over.folded)]) and over.folded
    assert over.turns == tuple(history[len(over.folded):])
    assert over.summary.turns == len(over.folded)


def test_huge_question_raises_a_clear_error():
    with pytest.raises(ContextBudgetError, match="Shorten the message"):
        builder(200).build(system=SYSTEM, question="word " * 500)


def test_huge_past_turn_is_folded_not_cut():
    model = port()
    history = [*turns(2), Turn("Please read this. " + "text " * 400, "It is long. " + "yes " * 50)]
    context = builder(150, model).build(system=SYSTEM, question="Summarise it", turns=history)
    assert_within(context, model)
    assert context.turns == () and context.folded == tuple(history)
    assert "Please read this." in context.summary.text
    assert all("text text" not in m.content for m in context.messages)  # no half message
    assert context.messages[-1] == Message("user", "Summarise it")


def test_many_tiny_turns_keep_a_verbatim_suffix_and_fold_the_rest():
    model = port()
    history = [Turn(f"hi {i}", f"ok {i}") for i in range(300)]
    context = builder(400, model).build(system=SYSTEM, question="still there?", turns=history)
    assert_within(context, model)
    kept = len(context.turns)
    assert 0 < kept < 300 and context.turns == tuple(history[300 - kept:])
    assert context.folded == tuple(history[: 300 - kept]) and context.summary.turns == 300 - kept
    assert context.summary.text and context.summary_source == "extractive"


def test_cjk_text_is_counted_with_the_tokenizer_and_fits():
    model = port()
    history = [Turn(f"我的妹妹林住在杭州。她喜欢喝龙井茶{i}。", f"好的，我记住了：林住在杭州{i}。")
               for i in range(20)]
    full = size(model, question="林住在哪里？", turns=history)
    for budget in (full, full - 1, full // 2, 80):
        context = builder(budget, model).build(system=SYSTEM, question="林住在哪里？", turns=history)
        assert_within(context, model)
        assert context.turns[-1] == history[-1]
    folded = builder(80, model).build(system=SYSTEM, question="林住在哪里？", turns=history)
    assert folded.summary.text.startswith("User: 我的妹妹林")


def test_budget_and_policy_are_validated():
    with pytest.raises(ConfigError):
        ContextBuilder(port(), budget=0)
    with pytest.raises(ConfigError):
        BudgetPolicy(facts_share=0.5, evidence_share=0.5, summary_share=0.2)


# ---- evidence and facts ---------------------------------------------------------------
def test_evidence_drops_lowest_ranked_passages_whole_within_its_share():
    model = port()
    passages = [Passage(f"passage {i} " + "fact " * 20, id=f"c{i}") for i in range(6)]
    context = builder(400, model, evidence_share=0.2).build(system=SYSTEM, question="q?", evidence=passages)
    assert_within(context, model)
    kept = len(context.evidence)
    assert 0 < kept < 6 and context.evidence == tuple(passages[:kept])
    assert context.dropped_evidence == tuple(passages[kept:])
    evidence_tokens = context.tokens - size(model, question="q?")
    assert evidence_tokens <= int(0.2 * 400)
    text = context.messages[-1].content
    assert f"[{kept}] passage {kept - 1} " in text and f"passage {kept} " not in text


def test_pinned_facts_are_kept_when_they_fit_their_share():
    facts = [PinnedFact(f"fact {i}") for i in range(5)]
    context = builder(1000).build(system=SYSTEM, question="q?", facts=facts)
    assert context.dropped_facts == ()
    assert all(f"- fact {i}" in context.messages[0].content for i in range(5))


def test_pinned_facts_over_their_share_drop_the_weakest_then_the_oldest():
    model = port()
    facts = [PinnedFact("old strong fact " + "x " * 10, 2.0), PinnedFact("old weak " + "x " * 10, 0.5),
             PinnedFact("mid fact " + "x " * 10, 1.0), PinnedFact("new fact " + "x " * 10, 1.0)]
    context = builder(300, model, facts_share=0.15).build(system=SYSTEM, question="q?", facts=facts)
    assert_within(context, model)
    assert context.dropped_facts == (facts[1], facts[2])
    system = context.messages[0].content
    assert system.index("old strong") < system.index("new fact")  # given order is kept


def test_newest_turn_outranks_evidence_and_facts():
    model = port()
    history = turns(3, words=30)
    evidence = [Passage("ev " * 30) for _ in range(3)]
    context = builder(160, model).build(system=SYSTEM, question="q?", turns=history, evidence=evidence,
                                        facts=[PinnedFact("f " * 30)])
    assert_within(context, model)
    assert context.turns == (history[-1],)


# ---- the summary ----------------------------------------------------------------------
def folding_inputs():
    return {"question": "What next?", "turns": turns(12, words=8)}


def test_llm_summary_is_used_when_it_is_short_and_grounded():
    model = port("The user asked question 0 and question 1; the assistant gave answer 0.")
    context = builder(220, model, llm_summary=True).build(system=SYSTEM, **folding_inputs())
    assert_within(context, model)
    assert context.summary_source == "llm"
    assert context.summary.text == "The user asked question 0 and question 1; the assistant gave answer 0."
    prompt = model.llm.prompts[0]
    assert "running summary" in prompt[0].content and "question 0" in prompt[1].content


@pytest.mark.parametrize("reply", ["", "!!! ???", "Bananas orbit Neptune quietly forever.",
                                   "Summary: " + "question word " * 200])
def test_unusable_llm_summary_falls_back_to_extractive(reply):
    model = port(reply)
    context = builder(220, model, llm_summary=True).build(system=SYSTEM, **folding_inputs())
    assert_within(context, model)
    assert context.summary_source == "extractive"
    assert context.summary.text.splitlines()[0].startswith("User: question")


def test_failing_llm_summary_falls_back_to_extractive():
    def broken(messages):
        raise RuntimeError("model crashed")

    model = port(broken)
    context = builder(220, model, llm_summary=True).build(system=SYSTEM, **folding_inputs())
    assert_within(context, model)
    assert context.summary_source == "extractive" and context.folded


def test_a_summary_grown_too_long_is_trimmed_to_its_newest_lines():
    model = port()
    old = Summary("\n".join(f"Line {i} of the story so far." for i in range(60)), turns=40)
    context = builder(200, model).build(system=SYSTEM, question="Go on", turns=turns(1), summary=old)
    assert_within(context, model)
    assert context.folded == () and context.turns == tuple(turns(1)) and context.summary.turns == 40
    assert context.summary.text.endswith("Line 59 of the story so far.")
    assert "Line 0 " not in context.summary.text


def test_same_inputs_give_the_same_context():
    inputs = {**folding_inputs(), "facts": [PinnedFact("likes tea")],
              "evidence": [Passage("tea is a drink"), Passage("coffee too")]}
    first = builder(220, port()).build(system=SYSTEM, **inputs)
    second = builder(220, port()).build(system=SYSTEM, **inputs)
    assert first == second and first.folded


# ---- the session buffer ---------------------------------------------------------------
def test_working_memory_rolls_the_summary_forward_and_never_keeps_reasoning():
    model = port()
    policy = BudgetPolicy(evidence_share=0.3, summary_share=0.5)
    memory = WorkingMemory(model, budget=150, system=SYSTEM, policy=policy)
    folded_before: list[Turn] = []
    for i in range(10):
        folded_before += memory.build(f"question {i} word word").folded
        memory.add_turn(f"question {i} word word", f"<think>secret plan {i}</think>answer {i} ok.")
    context = memory.build("final question")
    assert_within(context, model)
    assert memory.summary == context.summary and memory.summary.turns + len(memory.turns) == 10
    assert folded_before and f"User: {folded_before[-1].user}" in memory.summary.text  # rolled forward
    assert all("secret plan" not in m.content and "<think>" not in m.content for m in context.messages)
    assert memory.turns[-1].answer == "answer 9 ok."


# ---- properties -----------------------------------------------------------------------
text = st.lists(st.sampled_from([*"ab cd.ef!林住在杭州。 ", "word ", "x", "\n", "Hello there. "]),
                min_size=1, max_size=30).map("".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=st.lists(st.tuples(text, text), max_size=25), budget=st.integers(1, 400),
       n_evidence=st.integers(0, 5), n_facts=st.integers(0, 4), question=text,
       previous=st.none() | text, reply=st.none() | st.sampled_from(["", "!!", "ab cd word", "x " * 300]),
       templated=st.booleans())
def test_never_over_budget_newest_turn_verbatim_and_turns_partitioned(history, budget, n_evidence, n_facts,
                                                                     question, previous, reply, templated):
    model = port() if reply is None else port(reply)
    model = TemplatedCounter(model) if templated else model
    summary = Summary(previous, turns=3) if previous else Summary()
    history = [Turn(user, answer, f"t{i}") for i, (user, answer) in enumerate(history)]
    question = question if question.strip() else "q"
    evidence = [Passage(f"evidence {i} about x") for i in range(n_evidence)]
    facts = [PinnedFact(f"fact {i}") for i in range(n_facts)]
    try:
        context = builder(budget, model, llm_summary=reply is not None).build(
            system=SYSTEM, question=question, turns=history, summary=summary, evidence=evidence, facts=facts)
    except ContextBudgetError:
        assert model.count_tokens([Message("system", SYSTEM), Message("user", question)]) > budget
        return
    assert_within(context, model)
    assert context.folded + context.turns == tuple(history)  # a turn is verbatim or folded, not both
    assert context.summary.turns == summary.turns + len(context.folded)
    verbatim = [m for m in context.messages if m.role == "assistant"]
    assert len(verbatim) == len(context.turns)
    if history and model.count_tokens([Message("system", SYSTEM), *history[-1].to_messages(),
                                       Message("user", question)]) <= budget:
        assert context.turns[-1] == history[-1]
        assert context.messages[-3:-1] == tuple(history[-1].to_messages())
