"""Memory that follows the conversation: who "she" and "my sister" are across turns and from
memory, superseded values kept out of the evidence, facts quoted as what the user told."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.reader import Reader
from graph.embedding import HashEmbedder
from graph.knowledge import KnowledgeBase
from memory.fact_extract import RuleFactExtractor
from memory.fact_question import FactQuestion, asked_fact
from memory.fact_rules import Person
from memory.fact_text import describe, kin_noun
from memory.facts import FactMemory
from memory.long_term import LongTermMemory
from tests.turn_support import make_agent

U = "user"
START = datetime(2030, 1, 1, tzinfo=UTC)


def triples(text: str, context: tuple[str, ...] = (), people: tuple[Person, ...] = ()) -> set[tuple]:
    return {(t.subject, t.relation, t.object)
            for t in RuleFactExtractor().extract(text, context=context, people=people)}


@pytest.mark.parametrize(("earlier", "said", "expected"), [
    (("My daughter is called Philippa.",), "Her birthday is on 17 November.",
     {("Philippa", "birthday", "17 November")}),
    (("My sister Ilse lives in Tamsbury.",), "She works at Northfield Hospital.",
     {("Ilse", "works_at", "Northfield Hospital")}),
    # the person mentioned last wins, whatever the number of people
    (("My sister Ilse lives in Tamsbury.", "My mother Ruth lives in Leeds."), "She is allergic to cats.",
     {("Ruth", "allergic_to", "cats")}),
    (("My brother Caspian lives in Wrenfield.",), "Caspian still lives in Wrenfield.",
     {("Caspian", "lives_in", "Wrenfield")}),
    (("My brother Caspian lives in Wrenfield.",), "My brother lives in Wrenfield.",
     {("Caspian", "lives_in", "Wrenfield")}),
    (("我儿子叫乐乐。",), "他的生日是3月14日。", {("乐乐", "birthday", "3月14日")}),
    (("我妹妹林住在杭州。",), "她住在上海。", {("林", "lives_in", "上海")}),
    (("我妹妹林住在杭州。",), "我妹妹住在上海。", {("林", "lives_in", "上海")}),
])
def test_references_resolve_across_turns(earlier, said, expected):
    assert triples(said, earlier) == expected


def test_earlier_messages_give_no_facts_of_their_own():
    assert triples("She likes tea.", ("My sister Lin lives in Hangzhou.",)) == {("Lin", "likes", "tea")}


def test_a_full_name_is_found_again_by_its_first_name():
    earlier = ("My colleague Marguerite Olawale lives in Leeds.",)
    assert triples("Marguerite is allergic to peanuts.", earlier) == {
        ("Marguerite Olawale", "allergic_to", "peanuts")}


def test_people_known_from_memory():
    lin = Person("Lin", "has_sister", "f", named=True, known=True)
    mia = Person("Mia", "has_daughter", "f", named=True, known=True)
    # "my sister" is the sister memory knows; "she" only when one person fits
    assert triples("My sister moved to Shanghai.", people=(lin,)) == {("Lin", "lives_in", "Shanghai")}
    assert triples("她搬到上海了。", people=(lin,)) == {("Lin", "lives_in", "上海")}
    assert triples("She moved to Shanghai.", people=(lin, mia)) == set()
    # a person the conversation mentions comes before what memory knows
    assert triples("She lives in Rome.", ("My daughter Mia is eight.",), people=(lin, mia)) \
        == {("Mia", "lives_in", "Rome")}


def test_kin_in_fact_sentences():
    assert describe("Ilse", "lives_in", "Carrickfell", kin="sister") == \
        "The user's sister Ilse lives in Carrickfell."
    assert describe("祁晚晴", "works_as", "儿科医生", kin="室友") == "用户的室友祁晚晴的职业是儿科医生。"
    assert kin_noun("has_sister", True, "我姐姐叫林") == "姐姐"
    assert kin_noun("has_friend", False, "my best friend Tom") == "best friend"


def test_a_note_is_quoted_cleanly():
    assert describe(U, "said", "她搬到上海了。") == "用户说：“她搬到上海了。”"
    assert describe(U, "said", "Call the plumber.") == "The user said: “Call the plumber.”"


@pytest.fixture
def memory(tmp_path: Path):
    kb = KnowledgeBase(tmp_path / "memory", HashEmbedder())
    facts = FactMemory(kb.graph, clock=lambda: START + timedelta(days=1))
    memory = LongTermMemory(kb, facts, RuleFactExtractor(), owns_kb=True, clock=lambda: START)
    memory.open(worker=False)
    yield memory
    memory.close()


def tell(memory: LongTermMemory, user: str, session: str, said: list[str]) -> None:
    for i, text in enumerate(said):
        memory.schedule_turn(user, session, text, "Noted.", turn_id=f"t{i}", at=START + timedelta(hours=i),
                             earlier=said[:i])
    assert memory.drain(timeout=60)


def current(memory: LongTermMemory, user: str) -> set[tuple]:
    return {(f.subject, f.relation, f.object) for f in memory.memories(user)}


def test_chat_turns_change_facts_like_remember(memory):
    tell(memory, "ann", "s1", ["My sister Ilse lives in Tamsbury.", "She works as a pharmacist.",
                               "Ilse moved to Carrickfell last month."])
    facts = current(memory, "ann")
    assert ("Ilse", "lives_in", "Carrickfell") in facts and ("Ilse", "lives_in", "Tamsbury") not in facts
    assert ("Ilse", "works_as", "pharmacist") in facts
    ended = [f for f in memory.facts.facts("ann", include_history=True) if not f.current]
    assert [(f.subject, f.object) for f in ended] == [("Ilse", "Tamsbury")]


def test_a_new_session_knows_who_my_sister_is(memory):
    tell(memory, "ann", "s1", ["My sister Lin lives in Hangzhou."])
    tell(memory, "ann", "s2", ["她搬到上海了。"])
    assert ("Lin", "lives_in", "上海") in current(memory, "ann")
    assert memory.remember("ann", "My sister now works at Alibaba.")[0].subject == "Lin"


def test_superseded_values_are_not_evidence_for_now(memory):
    tell(memory, "ann", "s1", ["My sister Ilse lives in Tamsbury.", "Ilse moved to Carrickfell."])
    now = memory.recall("ann", "Where does my sister live now?", k=5)
    assert all("Tamsbury" not in p.text for p in now)
    assert now[0].kind == "fact" and now[0].text == "The user's sister Ilse lives in Carrickfell."
    assert any("Carrickfell" in p.text for p in now if p.kind == "turn")
    before = memory.recall("ann", "Where did my sister live before?", k=5)
    assert any("Tamsbury" in p.text for p in before)  # history stays queryable


SUBJECTS = ["user", "Lin", "Marguerite Olawale", "祁晚晴", "用户的外婆", "乐乐"]
KIN = {"Lin": "has_sister", "乐乐": "has_son", "Marguerite Olawale": "has_colleague"}


@pytest.mark.parametrize(("question", "subject", "relation"), [
    ("Where does my sister live now?", "Lin", "lives_in"),
    ("Which town does my sister live in?", "Lin", "lives_in"),
    ("What is Marguerite allergic to?", "Marguerite Olawale", "allergic_to"),
    ("What's my favourite food?", "user", "favourite_food"),
    ("Where do I work?", "user", "works_at"),
    ("What does Lin do for a living?", "Lin", "works_as"),
    ("Who is my sister?", "user", "has_sister"),
    ("What's my sister's name?", "user", "has_sister"),
    ("我现在住在哪里？", "user", "lives_in"),
    ("我最喜欢吃什么水果？", "user", "favourite_fruit"),
    ("祁晚晴是做什么工作的？", "祁晚晴", "works_as"),
    ("乐乐的生日是哪天？", "乐乐", "birthday"),
    ("我儿子几岁了？", "乐乐", "age"),
    ("我外婆住在哪里？", "用户的外婆", "lives_in"),
])
def test_the_fact_a_question_asks_for(question, subject, relation):
    assert asked_fact(question, SUBJECTS, KIN) == FactQuestion(subject, relation)


@pytest.mark.parametrize("question", [
    "When was Bluefin Robotics founded?",  # nobody the user told about
    "Where does my brother live?",  # no brother known
    "Tell me about Lin.",  # no relation asked
    "Does Lin or Marguerite live in Paris?",  # two people
])
def test_questions_that_ask_for_no_told_fact(question):
    assert asked_fact(question, SUBJECTS, KIN) is None


def test_a_told_answer_is_the_current_value_in_the_users_words(memory):
    tell(memory, "ann", "s1", ["My sister Ilse lives in Tamsbury.", "Ilse moved to Carrickfell last month."])
    passages, values = memory.told_answer("ann", "Where does my sister live now?")
    assert values == ["Carrickfell"]
    assert passages[0].text.splitlines() == ["The user's sister Ilse lives in Carrickfell.",
                                             "Ilse moved to Carrickfell last month."]
    assert memory.told_answer("ann", "Where does my sister work?") == ([], [])
    assert memory.told_answer("bob", "Where does my sister live now?") == ([], [])  # scoped to the user


def test_the_agent_answers_from_what_was_told_in_chat_never_the_old_value(settings):
    agent, _ = make_agent(settings, answerer="reader")
    with agent:
        for said in ("My sister Lin lives in Hangzhou.", "She works as a nurse.", "Lin moved to Shanghai."):
            agent.chat(said, user_id="ann", session_id="told")
        assert agent.memory.drain(timeout=60)
        where = agent.chat("Where does my sister live now?", user_id="ann", session_id="asked")
        job = agent.chat("What is my sister's job?", user_id="ann", session_id="asked2")
        other = agent.chat("Where does my sister live now?", user_id="bob", session_id="asked")
    assert where.action == "read" and where.answer.startswith("Shanghai [1]")
    assert "Hangzhou" not in where.answer
    assert where.citations[0].passage.kind == "fact"
    assert "What you told me on" in where.answer and "“Lin moved to Shanghai.”" in where.answer
    assert job.answer.startswith("nurse [1]")
    assert other.action != "read" and "Shanghai" not in other.answer


def test_a_chinese_relative_named_before_an_adverb():
    assert triples("我同学方晓也在那边，不过她是做设计的。") == {
        (U, "has_classmate", "方晓"), ("方晓", "works_as", "设计")}
    assert triples("我妹妹也住在杭州。") == {("用户的妹妹", "lives_in", "杭州")}  # 也 is no name


def test_a_job_and_a_workplace_are_cut_apart():
    earlier = ("My sister Ilse lives in Tamsbury.",)
    said = "She works as a pharmacist at the hospital there."
    assert triples(said, earlier) == {("Ilse", "works_as", "pharmacist")}
    assert triples("My brother Tom works at IBM as an engineer.") == {
        (U, "has_brother", "Tom"), ("Tom", "works_at", "IBM")}


@pytest.mark.parametrize(("first", "change", "now", "ended"), [
    ("I live in Beijing.", "I now live in Shanghai.", ("lives_in", "Shanghai"), "Beijing"),
    ("I live in Beijing.", "Big news: I have moved to Shanghai.", ("lives_in", "Shanghai"), "Beijing"),
    ("I live in Beijing.", "I no longer live in Beijing.", None, "Beijing"),
    ("I work at Globex.", "I changed jobs to Initech.", ("works_at", "Initech"), "Globex"),
    ("I work as a teacher.", "I am now a nurse.", ("works_as", "nurse"), "teacher"),
    ("我住在北京。", "我搬到上海了。", ("lives_in", "上海"), "北京"),
    ("我住在北京。", "我现在住在上海。", ("lives_in", "上海"), "北京"),
    ("我住在北京。", "我不再住在北京了。", None, "北京"),
    ("我在阿里巴巴工作。", "我换工作到了华为。", ("works_at", "华为"), "阿里巴巴"),
    ("我在阿里巴巴工作。", "我上个月跳槽到了华为。", ("works_at", "华为"), "阿里巴巴"),
])
def test_a_change_told_in_chat_ends_the_old_value_and_keeps_it_as_history(memory, first, change, now, ended):
    tell(memory, "ann", "s1", [first, change])
    facts = current(memory, "ann")
    assert {(r, o) for _, r, o in facts} == ({now} if now else set())
    history = [f for f in memory.facts.facts("ann", include_history=True) if not f.current]
    assert [f.object for f in history] == [ended] and history[0].valid_to is not None


def test_a_change_the_rules_cannot_read_is_shown_beside_the_old_fact_not_hidden(memory):
    tell(memory, "ann", "s1", ["I live in Quarrybank.",
                               "Turns out we ended up relocating: Helmsley Cross is home now."])
    assert ("user", "lives_in", "Quarrybank") in current(memory, "ann")  # the rules missed the move
    passages, values = memory.told_answer("ann", "Where do I live?")
    assert values == [] and "Helmsley Cross" in passages[-1].text and passages[-1].kind == "turn"
    reading = Reader().from_told("Where do I live?", passages, values)
    assert reading.short == "" and "Quarrybank" in reading.answer and "Helmsley Cross" in reading.answer
    assert memory.told_answer("bob", "Where do I live?") == ([], [])
    tell(memory, "cy", "s1", ["My son Alaric lives in Dunmere.", "What if Alaric moved to Pellworth?",
                              "If he moved to Pellworth he'd be closer to his job."])
    assert memory.told_answer("cy", "Where does my son live?")[1] == ["Dunmere"]  # a hypothetical: no change


def test_a_change_about_someone_else_does_not_unsettle_a_fact(memory):
    tell(memory, "ann", "s1", ["My sister Lin lives in Hangzhou.", "Lin moved to Shanghai.", "我住在北京。"])
    tell(memory, "ann", "s2", ["我表哥骆星河住在青枫市。", "他上个月搬到了云汐市。", "我妹妹搬到了广州。"])
    assert memory.told_answer("ann", "我住在哪里？")[1] == ["北京"]
    assert memory.told_answer("ann", "Where does my cousin live?")[1] == ["云汐市"]
