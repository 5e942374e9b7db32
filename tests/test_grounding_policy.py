"""The three policies for what the user finally reads: annotate, extractive, abstain."""

from __future__ import annotations

import pytest

from agent.errors import ConfigError, InputError
from agent.grounding_policy import PolicyOutcome
from agent.prompting import load_prompts
from agent.verification import Verifier, apply_policy
from graph.embedding import HashEmbedder
from memory.parts import Passage

EVIDENCE = (
    Passage("The Eiffel Tower is in Paris. It was completed in 1889.", "eiffel.txt"),
    Passage("Gustave Eiffel's company designed and built the tower.", "company.txt"),
)
ZH_EVIDENCE = (Passage("2022年1月3日上午，香港特区第七届立法会议员宣誓仪式举行。"),)


@pytest.fixture
def verify():
    verifier = Verifier(HashEmbedder())
    return lambda answer, evidence=EVIDENCE: verifier.verify(answer, evidence)


@pytest.mark.parametrize("policy", ["annotate", "extractive", "abstain"])
def test_a_grounded_answer_is_kept_with_citations_under_every_policy(verify, policy):
    outcome = apply_policy(verify("It was completed in 1889. Gustave Eiffel's company designed the tower."),
                           policy, EVIDENCE)
    assert isinstance(outcome, PolicyOutcome)
    assert outcome.text == "It was completed in 1889[1]. Gustave Eiffel's company designed the tower[2]."
    assert outcome.action == "annotated" and outcome.citations == (1, 2)


def test_annotate_marks_unsupported_sentences(verify):
    outcome = apply_policy(verify("The tower is in Paris. It was built in 1925 by Thomas Edison."),
                           "annotate", EVIDENCE)
    assert outcome.text == "The tower is in Paris[1]. It was built in 1925 by Thomas Edison [unsupported]."
    assert outcome.action == "annotated" and outcome.citations == (1,)


def test_annotate_in_chinese(verify):
    outcome = apply_policy(verify("宣誓仪式于2022年1月3日举行。仪式在上海举行。", ZH_EVIDENCE),
                           "annotate", ZH_EVIDENCE, language="zh")
    assert outcome.text == "宣誓仪式于2022年1月3日举行[1]。仪式在上海举行[无依据]。"


def test_extractive_quotes_the_best_evidence_when_not_grounded(verify):
    outcome = apply_policy(verify("The Eiffel Tower was completed in 1925."), "extractive", EVIDENCE)
    assert outcome.action == "extractive"
    assert outcome.text.startswith(load_prompts("en").message("extractive"))
    quoted = ("“It was completed in 1889.” [1]", "“The Eiffel Tower is in Paris.” [1]")
    assert any(quote in outcome.text for quote in quoted)
    assert outcome.citations[0] == 1


def test_extractive_abstains_when_no_evidence_matches(verify):
    outcome = apply_policy(verify("Bananas are yellow.", ()), "extractive", ())
    assert outcome.action == "abstained" and outcome.text == load_prompts("en").message("abstain")


def test_abstain_says_it_does_not_know_in_the_users_language(verify):
    english = apply_policy(verify("It was completed in 1925."), "abstain", EVIDENCE)
    chinese = apply_policy(verify("仪式在上海举行。", ZH_EVIDENCE), "abstain", ZH_EVIDENCE, language="zh")
    assert english == PolicyOutcome(load_prompts("en").message("abstain"), "abstained", ())
    assert chinese.text == load_prompts("zh").message("abstain") and chinese.action == "abstained"


def test_templated_messages_replace_the_defaults(verify):
    outcome = apply_policy(verify("It was completed in 1925."), "abstain", EVIDENCE,
                           messages={"abstain": "No idea, sorry."})
    assert outcome.text == "No idea, sorry."


def test_empty_answer_abstains_and_small_talk_is_kept(verify):
    assert apply_policy(verify(""), "abstain", EVIDENCE).action == "abstained"
    kept = apply_policy(verify("Hello there!"), "abstain", EVIDENCE)
    assert kept == PolicyOutcome("Hello there!", "kept", ())


def test_unknown_policy_or_language_is_refused(verify):
    with pytest.raises(ConfigError, match="policy"):
        apply_policy(verify("It is in Paris."), "guess", EVIDENCE)
    with pytest.raises(InputError, match="language"):
        apply_policy(verify("It is in Paris."), "abstain", EVIDENCE, language="fr")


def test_an_answer_without_the_number_asked_for_is_not_kept():
    evidence = (Passage("The iPhone SE 3 starts at 429 dollars."),)
    verifier = Verifier(HashEmbedder())
    question = "How much does the iPhone SE 3 cost?"
    copied = verifier.verify("The iPhone SE 3 starts at", evidence, question=question)
    assert copied.grounded and not copied.answered
    assert apply_policy(copied, "abstain", evidence).action == "abstained"
    assert apply_policy(copied, "annotate", evidence).action == "annotated"
    real = verifier.verify("The iPhone SE 3 starts at 429 dollars.", evidence, question=question)
    assert real.grounded and real.answered
    zh = (Passage("iPhone SE 3的起售价为3499元。"),)
    copied_zh = verifier.verify("起售价比：iPhone SE 3", zh, question="iPhone SE 3的起售价是多少？")
    assert not copied_zh.answered
    assert apply_policy(copied_zh, "abstain", zh, language="zh").action == "abstained"
