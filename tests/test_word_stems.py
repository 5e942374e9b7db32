"""The light stemmer the keyword view of remembered turns uses."""

from __future__ import annotations

import pytest

from memory.word_stems import keyword_form, stem, stems_of


@pytest.mark.parametrize("words", [
    ("hike", "hikes", "hiked", "hiking"),
    ("paint", "paints", "painted", "painting", "paintings"),
    ("run", "runs", "running"),
    ("stop", "stopped", "stopping"),
    ("study", "studies", "studied"),
    ("class", "classes"),
    ("dance", "dancing", "danced"),
])
def test_inflections_share_a_stem(words):
    assert len({stem(w) for w in words}) == 1


def test_short_and_uninflected_words_stay_as_they_are():
    assert [stem(w) for w in ("was", "his", "this", "bus", "pottery", "fall")] == \
        ["was", "his", "this", "bus", "pottery", "fall"]


def test_stems_of_adds_only_what_differs_once_each():
    assert stems_of("We went hiking, hiked again and painted with the kids") == "hik paint kid"
    assert stems_of("我们去爬山了") == ""


def test_a_question_searches_by_its_words_without_the_ones_that_make_it_a_question():
    assert keyword_form("What books has John read?") == "What books  John read?\nbook"
    assert keyword_form("Would Melanie likely enjoy a concert?").split() == \
        ["Melanie", "enjoy", "a", "concert?", "melani"]
    assert keyword_form("What did Caroline do on 7 May?").split() == ["What", "Caroline", "on", "7", "May?",
                                                                       "carolin"]


def test_a_question_of_question_words_only_and_chinese_are_kept_as_they_are():
    assert keyword_form("Did you?") == " you?"
    assert keyword_form("Has it been done?") == " it  ?"
    assert keyword_form("Have been?") == "Have been?\nhav"  # nothing else: kept, stems added
    assert keyword_form("我妹妹住在哪里？") == "我妹妹住在哪里？"
