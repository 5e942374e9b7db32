"""Folding turns into the rolling summary (memory/summary.py)."""

from __future__ import annotations

from agent.llm.fake import FakeLLM
from agent.memory_port import MemoryModelPort
from memory.parts import Turn
from memory.summary import Summarizer, first_sentence, is_grounded, trim_to_fit


def port(*replies) -> MemoryModelPort:
    return MemoryModelPort(FakeLLM(list(replies)))


def test_first_sentence_handles_latin_cjk_and_long_sentences():
    assert first_sentence("I moved to Shanghai. It rains a lot!") == "I moved to Shanghai."
    assert first_sentence("我搬到上海了。那里常下雨。") == "我搬到上海了。"
    assert first_sentence("  no   end  ") == "no end"
    long = first_sentence("word " * 100)
    assert len(long) <= 201 and long.endswith("word…")


def test_grounded_means_most_words_come_from_the_source():
    source = "User: my sister Lin lives in Hangzhou. Assistant: noted."
    assert is_grounded("Lin, the user's sister, lives in Hangzhou.", source)
    assert not is_grounded("Bananas orbit Neptune.", source)
    assert not is_grounded("!!!", source)
    assert is_grounded("林住在杭州", "我的妹妹林住在杭州。")


def test_trim_to_fit_keeps_the_newest_whole_lines_then_cuts_at_a_word():
    text = "first line here\nsecond line here\nthird line here"
    assert trim_to_fit(text, lambda t: len(t) <= 100) == text
    assert trim_to_fit(text, lambda t: len(t) <= 33) == "second line here\nthird line here"
    assert trim_to_fit(text, lambda t: len(t) <= 12) == "third line…"
    assert trim_to_fit(text, lambda t: len(t) <= 1) == ""
    assert trim_to_fit("杭州西湖很美", lambda t: len(t) <= 4) == "杭州西…"


def test_extractive_summary_is_the_first_sentence_of_each_message_within_the_limit():
    model = port()
    summarizer = Summarizer(model)
    turns = [Turn("My sister Lin lives in Hangzhou. She is a doctor.", "Noted. I will remember."),
             Turn("I like tea.", "Good to know.")]
    text, source = summarizer.fold("", turns, max_tokens=100)
    assert text == ("User: My sister Lin lives in Hangzhou. Assistant: Noted.\n"
                    "User: I like tea. Assistant: Good to know.")
    assert source == "extractive"
    short = summarizer.fold("", turns, max_tokens=15).text
    assert summarizer.tokens(short) <= 15 and short.startswith("User: I like tea.")


def test_llm_summary_replaces_the_previous_one_when_usable():
    model = port("Summary: Lin lives in Hangzhou and the user likes tea.")
    summarizer = Summarizer(model, model)
    folded = summarizer.fold("User: My sister Lin lives in Hangzhou.", [Turn("I like tea.", "Ok.")], 40)
    assert folded == ("Lin lives in Hangzhou and the user likes tea.", "llm")


def test_a_prompt_too_long_for_the_model_skips_the_llm():
    model = port("Lin lives in Hangzhou.")
    summarizer = Summarizer(model, model, max_prompt_tokens=50)
    folded = summarizer.fold("", [Turn("Lin lives in Hangzhou. " * 20, "Ok.")], 30)
    assert folded.source == "extractive" and model.llm.prompts == []


def test_nothing_to_fold_or_no_room_gives_an_empty_summary():
    summarizer = Summarizer(port())
    assert summarizer.fold("", [], 50) == ("", "none")
    assert summarizer.fold("old", [Turn("a", "b")], 0) == ("", "none")
