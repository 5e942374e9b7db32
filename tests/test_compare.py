"""Questions that compare two named things in time: each side read on its own, the years compared
by code, both sentences quoted; no year or the same year is no answer."""

import pytest

from agent.compare import Comparison, comparison_of, read_comparison
from agent.compare_kind import read_kind
from agent.reader import Reader
from memory.parts import Passage


@pytest.mark.parametrize(("question", "expected"), [
    ("Which band was formed first, The Exies or Circus Diablo?",
     Comparison((("The Exies", "formed"), ("Circus Diablo", "formed")), earliest=True)),
    ("Which band was formed first The Exies or Circus Diablo ?",
     Comparison((("The Exies", "formed"), ("Circus Diablo", "formed")), earliest=True)),
    ("Who is the oldest, Sid Haig or Vic Darchinyan?",
     Comparison((("Sid Haig", "born"), ("Vic Darchinyan", "born")), earliest=True)),
    ("Which magazine was published more recently, Guitar World or Science News?",
     Comparison((("Guitar World", "published"), ("Science News", "published")), earliest=False)),
    ("Which came first the forming of The Dandy Warhols or the birth of Robert Young?",
     Comparison((("The Dandy Warhols", "formed"), ("Robert Young", "born")), earliest=True)),
])
def test_comparison_questions(question, expected):
    assert comparison_of(question) == expected


@pytest.mark.parametrize("question", [
    "Which band is better, The Exies or Circus Diablo?",  # no time order
    "Which singer is American, Mark King or Nick Hexum?",
    "When was The Exies formed?",
    "Which came first, the Exies or the exies?",
])
def test_not_comparisons_in_time(question):
    assert comparison_of(question) is None


EXIES = Passage("The Exies were an American rock band from Los Angeles, formed in 1997.", "The Exies")
DIABLO = Passage("Circus Diablo is an American rock band, formed in early 2006.", "Circus Diablo")
FIRST = "Which band was formed first, The Exies or Circus Diablo?"
ELSE = Passage("Circus Diablo toured Europe with a new drummer.", "Circus Diablo tours")


def test_the_earlier_side_wins_with_both_sentences_quoted_and_found_by_search():
    searched = []

    def retrieve(query):
        searched.append(query)
        return [DIABLO] if "Diablo" in query else [EXIES]

    reading = read_comparison(Reader(), "Which band was formed first, Circus Diablo or The Exies?", [ELSE],
                              retrieve)
    assert reading is not None and reading.short == "The Exies"
    assert reading.answer.splitlines()[0] == f"The Exies [{reading.passage}]"
    assert reading.evidence[reading.passage - 1] == EXIES
    assert reading.evidence[reading.link_passage - 1] == DIABLO
    assert "1997" in reading.answer and "2006" in reading.answer
    assert searched == ["Circus Diablo formed", "The Exies formed"]
    later = read_comparison(Reader(), "Which band was formed more recently, The Exies or Circus Diablo?",
                            [EXIES, DIABLO], None)
    assert later is not None and later.short == "Circus Diablo"


def test_no_answer_without_a_year_for_each_side_or_with_the_same_year():
    assert read_comparison(Reader(), FIRST, [EXIES], None) is None
    same = Passage("Circus Diablo is an American rock band, formed in 1997.", "Circus Diablo")
    assert read_comparison(Reader(), FIRST, [EXIES, same], None) is None


NOLAN = Passage("Christopher Nolan is an English-American film director, screenwriter and producer.",
                "Christopher Nolan")
KALATHIL = Passage("Sathish Kalathil is an Indian film director and writer.", "Sathish Kalathil")
VIDOR = Passage("King Wallis Vidor was an American film director, producer and screenwriter.", "King Vidor")
CZIFFRA = Passage("Géza von Cziffra was a Hungarian film director and screenwriter.", "Géza von Cziffra")
SENET = Passage("Senet is a board game from ancient Egypt.", "Senet")
MEDICI = Passage("Medici is a board game designed by Reiner Knizia.", "Medici (board game)")
LINCOLN = Passage("Lincoln is a 2012 American historical drama film.", "Lincoln (film)")


def test_both_of_a_kind_when_each_opening_sentence_says_it():
    reading = read_kind("Are Christopher Nolan and Sathish Kalathil both film directors?", [KALATHIL, NOLAN],
                        None)
    assert reading is not None and reading.short == "Yes" and reading.answer.startswith("Yes [1]")
    assert reading.cited == (2, 1)
    searched = read_kind("Are Medici and Senet both board games?", [],
                         lambda query: [MEDICI] if query == "Medici" else [SENET])
    assert searched is not None and searched.short == "Yes"


def test_no_only_when_the_other_side_names_another_nationality():
    reading = read_kind("Are King Vidor and Géza von Cziffra both American directors?", [VIDOR, CZIFFRA],
                        None)
    assert reading is not None and reading.short == "No" and "Hungarian" in reading.answer
    # silence is no "no": a film that is not said to be a board game, or a side with no passage
    assert read_kind("Are Medici and Lincoln both board games?", [MEDICI, LINCOLN], None) is None
    assert read_kind("Are Medici and Senet both board games?", [MEDICI], None) is None
    assert read_kind("Are Nolan and Vidor both directors of Inception?", [NOLAN, VIDOR], None) is None
