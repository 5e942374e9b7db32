"""The light stemmer the keyword view of remembered turns uses."""

from __future__ import annotations

import pytest

from memory.word_stems import stem, stems_of


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
