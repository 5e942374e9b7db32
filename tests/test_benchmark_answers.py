"""The scoring rules of benchmarks/answers.py (userdocs/README.md), on hand-written replies."""

from __future__ import annotations

import pytest

from benchmarks.answer_scoring import (
    contains_answer,
    flatten,
    is_answer_shaped,
    is_declined,
    normalise,
    question_scorer,
    rgb_all_parts,
    score_answerable,
    score_memory,
    score_unanswerable,
    split_of,
    yes_no_match,
)
from benchmarks.answers import Run, groups, side_by_side, summary

EN_ABSTAIN = "I don't know: what I have does not support an answer."
ZH_ABSTAIN = "我不知道：现有的资料不足以支持一个回答。"


@pytest.mark.parametrize(("text", "expected"), [
    ("Port Ellery [1].", "portellery"),
    ("４．２　Ｌ", "4.2l"),  # full-width digits, point and space (NFKC)
    ("１２：３０", "12 30"),  # a separator between two digits is a boundary
    ("48,000 euros", "48 000euros"),
    ("Founded in 2011[1]. 12 people [2, 3]", "foundedin2011 12people"),
    ("3.9 毫克/升，溶解氧。", "3.9毫克升溶解氧"),
    ("“听溪山居”（两晚）", "听溪山居两晚"),
    ("I don’t know", "idontknow"),
])
def test_normalise(text: str, expected: str) -> None:
    assert normalise(text) == expected


@pytest.mark.parametrize(("reply", "answer", "expected"), [
    ("It was founded in 2012.", "12", False),  # no part of a longer number
    ("It was founded in 2012.", "2012", True),
    ("It holds 4.2 litres [1].", "4.2", True),
    ("It holds 4.2 litres [1].", "4.2 litres", True),
    ("It holds 4.2-litre tanks.", "4.2-litre", True),
    ("It holds 4.25 litres.", "4.2", False),  # 4.2 is the start of 4.25
    ("Version 14.2 is out.", "4.2", False),
    ("It holds 4.2 litres.", "2", False),  # the 2 after a decimal point belongs to 4.2
    ("The budget is 48,000 euros.", "48,000", True),
    ("The budget is 48,000 euros.", "48000", False),  # the comma is a boundary: 48 | 000
    ("The budget is 48000 euros.", "48,000", False),
    ("The budget is 48000 euros.", "48000", True),
    ("The budget is 48,000 euros.", "48", True),  # "48" is a whole number before the boundary
    ("The ferry leaves at 12:30.", "12:30", True),
    ("The ferry leaves at 12.30.", "12:30", False),  # a decimal point is not a boundary
    ("渡轮在１２：３０出发。", "12:30", True),  # full-width digits and colon
    ("奶奶八十大寿来了２３个人。", "23个人", True),
    ("奶奶八十大寿来了123个人。", "23个人", False),
    ("The head office is in Port Ellery [1].", "port ellery", True),
    ("总部在南屿市星桥大厦[1]。", "南屿市", True),
    ("Call 0800 414 2290.", "0800 414 2290", True),
    ("Call 0800 414 2290.", "08004142290", False),
    ("Anything.", "", False),
    ("Anything.", "[1]", False),  # nothing left of the gold after normalisation
])
def test_contains_answer(reply: str, answer: str, expected: bool) -> None:
    assert contains_answer(reply, answer) is expected


def test_reply_over_600_characters_or_repeating_a_sentence_is_not_an_answer() -> None:
    assert is_answer_shaped("The tank holds 4.2 litres [1].")
    assert not is_answer_shaped("The tank holds 4.2 litres. " + "Other text here. " * 40)
    assert not is_answer_shaped("The tank holds 4.2 litres [1]. It is blue. The tank holds 4.2 litres [2].")
    assert not is_answer_shaped("总部在南屿市。成立于2011年。总部在南屿市！")
    assert is_answer_shaped("It holds 4.2 litres. The 4.2 litre tank is blue.")  # decimals do not split
    assert score_answerable("The tank holds 4.2 litres. " + "x" * 600, ["4.2"]) == "wrong"
    assert score_answerable("4.2 litres. 4.2 litres.", ["4.2"], citations=1) == "wrong_cited"


@pytest.mark.parametrize("reply", [
    EN_ABSTAIN, "The documents do not say.", "It is not mentioned in the evidence.",
    "I don’t know.", ZH_ABSTAIN, "资料里没有提到他的生日。", "无法回答这个问题。",
])
def test_declined_detection(reply: str) -> None:
    assert is_declined(reply)
    assert score_unanswerable(reply) == "correct"
    assert score_answerable(reply, ["Port Ellery"], citations=1) == "declined"


@pytest.mark.parametrize("reply", ["The head office is in Calder Works [1].", "总部在南屿市[1]。"])
def test_an_answer_is_not_a_decline(reply: str) -> None:
    assert not is_declined(reply)
    assert not is_declined(reply, "kept")
    assert is_declined(reply, "abstained") and is_declined(reply, "no_evidence")
    assert score_unanswerable(reply) == "hallucinated"
    assert score_unanswerable(reply, "abstained") == "correct"


def test_score_answerable() -> None:
    answers = ["Port Ellery", "Calder Works"]
    assert score_answerable("Its head office is in Port Ellery [1].", answers, "kept", 1) == "correct"
    assert score_answerable("Calder Works, Port Ellery [2]", answers, "annotated", 1) == "correct"
    assert score_answerable("It is in Dunmore [1].", answers, "kept", 1) == "wrong_cited"
    assert score_answerable("It is in Dunmore.", answers, "kept", 0) == "wrong"
    assert score_answerable("Some text.", answers, "no_evidence", 0) == "declined"
    # a refusal that still names the gold answer is not a decline: it answered
    assert score_answerable("Not sure, but probably Port Ellery.", answers) == "correct"
    assert score_answerable("不知道，可能在鼓楼站。", ["鼓楼站"]) == "correct"


def test_score_memory_stale_first() -> None:
    answers, stale = ["Carrickfell"], ["Tamsbury"]
    assert score_memory("Your sister lives in Carrickfell.", answers, stale) == "correct"
    assert score_memory("She moved from Tamsbury to Carrickfell.", answers, stale) == "stale"
    assert score_memory("She lives in Tamsbury.", answers, stale, citations=1) == "stale"
    assert score_memory("She lives in Wrenfield.", answers, stale) == "wrong"
    assert score_memory(EN_ABSTAIN, answers, stale, "abstained") == "declined"
    assert score_memory("你现在住在云汐市。", ["云汐市", "云汐"], ["白鹭镇", "白鹭"]) == "correct"
    assert score_memory("你住在白鹭镇。", ["云汐市", "云汐"], ["白鹭镇", "白鹭"]) == "stale"
    # nothing told answers it: declining is correct
    assert score_memory(ZH_ABSTAIN, [], []) == "correct"
    assert score_memory("她今年八十岁。", [], []) == "hallucinated"


def test_yes_no_gold_must_be_the_first_word() -> None:
    assert contains_answer("I don't know.", "no")  # why HotpotQA yes/no needs its own match
    assert not yes_no_match("I don't know.", "no")
    assert yes_no_match("No, they are in different states [1].", "no")
    assert not yes_no_match("Yes, both are airports.", "no")
    yes = "Yes, both are directors [1]."
    assert score_answerable(yes, ["yes"], "kept", 1, match=yes_no_match) == "correct"
    assert score_answerable("I don't know.", ["no"], "kept", 0, match=yes_no_match) == "declined"


def test_question_scorer() -> None:
    assert question_scorer(["Port Ellery"])("Port Ellery [1].", "kept", 1) == "correct"
    assert question_scorer([])("Port Ellery [1].", "kept", 1) == "hallucinated"
    assert question_scorer([])(EN_ABSTAIN, "abstained", 0) == "correct"


def test_rgb_answers() -> None:
    answers = [["1313851", "131万"], "东盟"]
    assert flatten(answers) == ["1313851", "131万", "东盟"]
    assert rgb_all_parts("共131万人，东盟[1]", answers)
    assert not rgb_all_parts("共131万人", answers)
    assert score_answerable("共131万人", flatten(answers)) == "correct"  # any gold answer


def test_split_of_ids() -> None:
    ids = ("q-en-01", "q-en-02", "q-zh-29", "q-zh-30", "m-en-11")
    assert [split_of(i) for i in ids] == ["dev", "test", "dev", "test", "dev"]


def test_summary_and_groups() -> None:
    rows = (("en", "date", "correct", 1.0), ("en", "place", "wrong", 3.0), ("zh", "date", "declined", None))
    records = [{"set": "userdocs", "lang": lang, "kind": kind, "outcome": outcome, "seconds": seconds}
               for lang, kind, outcome, seconds in rows]
    s = summary(records)
    assert (s["n"], s["correct"], s["wrong"], s["declined"], s["p50_s"]) == (3, 1, 1, 1, 2.0)
    keys = [(name, lang, kind, len(chosen)) for name, lang, kind, chosen in groups(records)]
    assert keys == [("userdocs", "en", "date", 1), ("userdocs", "en", "place", 1),
                    ("userdocs", "en", "all", 2), ("userdocs", "zh", "date", 1),
                    ("userdocs", "all", "all", 3)]


class _Reply:
    def __init__(self, answer: str, action: str, citations: int) -> None:
        self.answer, self.action, self.citations = answer, action, tuple(range(citations))


class _Agent:
    """Answers from a script; a message it has no reply for fails like a broken turn."""

    memory = None

    def __init__(self, replies: dict[str, _Reply]) -> None:
        self.replies = replies
        self.asked: list[tuple[str, str, str]] = []

    def chat(self, message: str, *, user_id: str, session_id: str, evidence=None) -> _Reply:
        self.asked.append((message, user_id, session_id))
        if message not in self.replies:
            raise RuntimeError("the model crashed")
        return self.replies[message]


class _Progress:
    def add_task(self, *args, **kwargs) -> int:
        return 0

    def advance(self, task: int) -> None:
        pass

    def remove_task(self, task: int) -> None:
        pass


def test_run_scores_items_and_counts_a_failing_item_as_wrong() -> None:
    agent = _Agent({"Where?": _Reply("In Port Ellery [1].", "read", 1), "Hi": _Reply("Noted.", "kept", 0)})
    run = Run(agent, "llm", _Progress())
    questions = [{"id": "q-1", "question": "Where?"}, {"id": "q-2", "question": "Who?"}]
    items = list(run.each("questions", questions))
    for item in items:
        run.ask({**item, "set": "userdocs", "lang": "en", "kind": "place"}, question_scorer(["Port Ellery"]),
                user="u", session=item["id"], told=["Hi"] if item["id"] == "q-1" else ())
    first, second = run.records
    assert (first["outcome"], first["action"], first["citations"]) == ("correct", "read", 1)
    assert first["error"] == ""
    assert first["seconds"] is not None and first["answer"] == "In Port Ellery [1]."
    assert (second["outcome"], second["seconds"]) == ("wrong", None)
    assert second["error"] == "RuntimeError: the model crashed"
    assert agent.asked == [("Hi", "u", "q-1-told"), ("Where?", "u", "q-1"), ("Who?", "u", "q-2")]
    assert summary(run.records)["wrong"] == 1


def test_side_by_side_compares_answerers_per_set_and_language() -> None:
    def run_with(name: str, outcomes: tuple[str, str], seconds: float) -> Run:
        run = Run(_Agent({}), name, _Progress())
        run.records = [{"set": "rgb", "lang": "zh", "kind": kind, "outcome": outcome, "seconds": seconds}
                       for kind, outcome in zip(("3pos+2neg", "5neg"), outcomes, strict=True)]
        return run

    lines = side_by_side([run_with("reader", ("correct", "correct"), 1.0),
                          run_with("llm", ("wrong_cited", "hallucinated"), 3.0)]).splitlines()
    assert "reader correct" in lines[0] and "llm p50 ratio" in lines[0]
    assert len(lines) == 3  # header, rule, one row: rgb zh
    cells = [cell.strip() for cell in lines[2].strip("|").split("|")]
    assert cells == ["rgb", "zh", "2", "2 (100%)", "0 (0%)", "0 (0%)", "0 (0%)", "0 (0%)", "1.00x",
                     "0 (0%)", "0 (0%)", "1 (50%)", "1 (50%)", "0 (0%)", "3.00x"]
