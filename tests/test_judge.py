"""The optional LLM self-check, driven by the scripted FakeLLM (the seam around the verifier)."""

from __future__ import annotations

import pytest

from agent.judge import judge_prompt, parse_verdict
from agent.llm.fake import FakeLLM
from agent.verification import Verifier
from memory.parts import Passage

EVIDENCE = (Passage("The Eiffel Tower is in Paris. It was completed in 1889."),)


@pytest.mark.parametrize(("reply", "verdict"), [
    ("YES", 1.0), (" yes.", 1.0), ("是", 1.0), ("NO", 0.0), ("No, it is not.", 0.0), ("否", 0.0),
    ("maybe", None), ("", None),
])
def test_parse_verdict(reply, verdict):
    assert parse_verdict(reply) == verdict


def test_prompt_numbers_the_evidence_and_states_the_claim():
    system, user = judge_prompt("It is in Paris.", ["First passage.", "Second passage."])
    assert system.role == "system" and user.role == "user"
    assert "[1] First passage." in user.content and "[2] Second passage." in user.content
    assert "Claim: It is in Paris." in user.content


def test_a_judge_that_disagrees_lowers_the_score_and_can_reject_the_claim():
    answer = "The Eiffel Tower was completed in 1889."
    alone = Verifier().verify(answer, EVIDENCE)
    judge = FakeLLM(["NO"])
    judged = Verifier(judge=judge).verify(answer, EVIDENCE)
    assert alone.grounded and not judged.grounded
    assert judged.score < alone.score
    assert "Claim: The Eiffel Tower was completed in 1889." in judge.prompts[0][-1].content


def test_a_judge_that_agrees_raises_the_score_and_unclear_replies_change_nothing():
    answer = "The Eiffel Tower was completed in 1889."
    alone = Verifier().verify(answer, EVIDENCE)
    assert Verifier(judge=FakeLLM(["YES"])).verify(answer, EVIDENCE).score > alone.score
    assert Verifier(judge=FakeLLM(["hmm"])).verify(answer, EVIDENCE).score == pytest.approx(alone.score)


def test_small_talk_is_not_sent_to_the_judge():
    judge = FakeLLM(["NO"])
    Verifier(judge=judge).verify("Thanks!", EVIDENCE)
    assert judge.prompts == []
