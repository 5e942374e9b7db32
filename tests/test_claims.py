"""Sentence splitting, numbers and dates, and the words and names a claim is checked on."""

from __future__ import annotations

import pytest

from agent.claim_terms import acronym, en_content_stems, en_entities, stem, zh_entities
from agent.claims import language_of, split_sentences, strip_citations
from agent.numbers import month_days, quantities, same_quantity, zh_numeral


def texts(text: str) -> list[str]:
    return [s.text for s in split_sentences(text)]


def test_english_sentences_keep_abbreviations_initials_and_decimals_together():
    text = "Mr. Smith paid $3.50 for J. R. R. Tolkien's book! Was it good? Yes."
    assert texts(text) == ["Mr. Smith paid $3.50 for J. R. R. Tolkien's book!", "Was it good?", "Yes."]


def test_offsets_point_into_the_original_text():
    text = "  First one.  Second one!\n第三句。第四句？"
    for span in split_sentences(text):
        assert text[span.start:span.end] == span.text
    assert texts(text) == ["First one.", "Second one!", "第三句。", "第四句？"]


def test_chinese_sentences_split_on_chinese_punctuation_without_spaces():
    assert texts("今天下雨。明天晴天！后天呢？") == ["今天下雨。", "明天晴天！", "后天呢？"]


def test_blank_text_has_no_sentences():
    assert split_sentences("") == []
    assert split_sentences("  \n ...") == []


def test_language_and_citation_marks():
    assert language_of("北京是中国的首都。") == "zh"
    assert language_of("Beijing is the capital.") == "en"
    assert strip_citations("Paris [1]. Berlin [2, 3] [unsupported] 上海[无依据]") == "Paris. Berlin 上海"


@pytest.mark.parametrize(("text", "value"), [
    ("一千二百三十", 1230), ("二〇二二", 2022), ("十二", 12), ("三万五千", 35000), ("两百", 200),
])
def test_chinese_numerals(text, value):
    assert zh_numeral(text) == value


def test_quantities_apply_scales_in_both_languages():
    values = [q.value for q in quantities("2500万人次, 6.4%, 1,313,851 cars, twenty-five million people")]
    assert values == [25_000_000, 6.4, 1_313_851, 25_000_000]


def test_rounded_numbers_match_but_different_numbers_do_not():
    (rounded,), (exact,) = quantities("131万"), quantities("1313851")
    assert same_quantity(rounded, exact)
    (other,) = quantities("150万")
    assert not same_quantity(other, exact)
    (small,), (near,) = quantities("12"), quantities("13")
    assert not same_quantity(small, near)


def test_dates_in_chinese_and_english_give_the_same_key():
    assert [key for key, _, _ in month_days("2022年1月3日上午")] == ["m1d3"]
    assert [key for key, _, _ in month_days("on January 3, 2022")] == ["m1d3"]
    assert [key for key, _, _ in month_days("一月三日")] == ["m1d3"]


def test_stems_meet_across_inflections():
    assert stem("starred") == stem("starring") == stem("stars") == "star"
    assert en_content_stems("I really like the movies") == [stem("movies")]


def test_english_entities_skip_a_capitalised_first_word_on_its_own():
    assert en_entities("Absolutely. He starred with Tom Hanks in Cast Away.") == ["Tom Hanks", "Cast Away"]
    assert en_entities("Grammy Award for Album of the Year went to him.") == [
        "Grammy Award for Album of the Year"]
    assert acronym("Robert Downey Jr.") == "RDJ"


def test_chinese_entities_come_from_jieba_and_titles():
    names = zh_entities("周杰伦在北京演唱了《青花瓷》。")
    assert "周杰伦" in names and "北京" in names and "青花瓷" in names
