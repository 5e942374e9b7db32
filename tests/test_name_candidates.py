"""graph.store.name_candidates and normalise_name: the spans dictionary entity linking looks up."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from graph.store import name_candidates, normalise_name


def test_english_word_runs_up_to_max_words():
    found = name_candidates("The Analytical Engine, by Charles Babbage.")
    assert "charles babbage" in found and "analytical engine" in found
    assert "the analytical engine" in found
    assert "engine by charles" in found  # spans cross punctuation; only known names matter
    assert all(c == c.strip() and "  " not in c for c in found)
    assert len(found) == len(set(found))
    assert name_candidates("a b c d e f", max_words=2) == [
        "a", "a b", "b", "b c", "c", "c d", "d", "d e", "e", "e f", "f"]


def test_normalised_like_names():
    assert name_candidates("ＮＥＯ４Ｊ") == ["neo4j"]  # full-width to ASCII, case-folded
    assert name_candidates("Straße") == ["strasse"]
    assert normalise_name("  Charles \n BABBAGE ") == "charles babbage"


def test_joined_words_stay_whole():
    found = name_candidates("AT&T hired Jean-Paul O'Neil at U.S. Steel")
    assert {"at&t", "jean-paul", "o'neil", "jean-paul o'neil", "u.s", "u.s steel"} <= set(found)
    assert "jean" not in found and "paul" not in found


def test_possessive_also_gives_the_bare_name():
    found = name_candidates("Ada Lovelace's notes and Babbage’s engine")
    assert {"ada lovelace's", "ada lovelace", "babbage’s", "babbage"} <= set(found)
    assert "lovelace's notes" in found and "lovelace notes" not in found


def test_chinese_substrings_of_two_to_max_cjk():
    assert name_candidates("北京大学") == ["北京", "京大", "大学", "北京大", "京大学", "北京大学"]
    assert name_candidates("京") == []  # a single character is never a name
    assert all(len(c) <= 3 for c in name_candidates("中华人民共和国", max_cjk=3))


def test_mixed_chinese_and_latin_without_spaces():
    found = name_candidates("我们用Neo4j存储知识图谱")
    assert "neo4j" in found and "知识图谱" in found and "我们" in found
    assert not any("neo4j" in c and c != "neo4j" for c in found)
    assert "neo4j 存储" not in found  # no spans that mix scripts


def test_nothing_in_empty_or_punctuation():
    assert name_candidates("") == []
    assert name_candidates(" ,.!? —— ") == []


@given(st.lists(st.sampled_from(["Ada", "Lovelace", "of", "北京", "大学", "Neo4j", "X-Ray", ",", "。"]),
                max_size=12))
def test_every_name_made_of_adjacent_words_is_found(parts):
    text = " ".join(parts)
    found = set(name_candidates(text))
    words = [p for p in parts if p not in {",", "。"}]
    for i, word in enumerate(words):
        assert normalise_name(word) in found or len(word) < 2
        if i + 1 < len(words) and word.isascii() and words[i + 1].isascii():
            assert normalise_name(f"{word} {words[i + 1]}") in found
