import pytest

from agent.prompting import load_prompts
from agent.reasoning import ReasoningSplitter

EN, ZH = load_prompts("en"), load_prompts("zh")
LABELS = (EN.reasoning_labels + ZH.reasoning_labels, EN.answer_labels + ZH.answer_labels)


def split(pieces, *, chain_of_thought=True):
    splitter = ReasoningSplitter(*LABELS, chain_of_thought=chain_of_thought)
    channels = []
    for piece in pieces:
        channels += splitter.feed(piece)
    channels += splitter.finish()
    return splitter, channels


def chars(text):
    return list(text)


@pytest.mark.parametrize("pieces", [
    ["Reasoning: The sky scatters blue light. Answer: Blue [1]."],
    chars("Reasoning: The sky scatters blue light. Answer: Blue [1]."),  # a label split across pieces
    ["Reason", "ing: The sky scatters blue light. Ans", "wer", ": Blue [1]."],
])
def test_reasoning_and_answer_are_separated_however_the_stream_is_cut(pieces):
    splitter, channels = split(pieces)
    assert splitter.reasoning == "The sky scatters blue light."
    assert splitter.answer == "Blue [1]."
    streamed_reasoning = "".join(text for channel, text in channels if channel == "reasoning")
    streamed_answer = "".join(text for channel, text in channels if channel == "answer")
    assert "Answer" not in streamed_reasoning and "Reasoning" not in streamed_reasoning
    assert streamed_answer.strip() == "Blue [1]."


def test_chinese_labels_and_mixed_language():
    splitter, _ = split(chars("推理：资料 [1] 说长江流入东海。答案：东海 [1]。"))
    assert (splitter.reasoning, splitter.answer) == ("资料 [1] 说长江流入东海。", "东海 [1]。")
    splitter, _ = split(["Reasoning: it says so. 答案：东海"])
    assert splitter.answer == "东海"


def test_think_tags_are_reasoning_whatever_the_setting():
    for cot in (True, False):
        splitter, channels = split(chars("<think>Check [2] first.</think>\nParis [2]."), chain_of_thought=cot)
        assert splitter.reasoning == "Check [2] first."
        assert splitter.answer == "Paris [2]."
        assert "".join(text for channel, text in channels if channel == "reasoning") == "Check [2] first."


def test_a_completion_without_an_answer_label_is_the_answer():
    splitter, channels = split(chars("Blue, because of scattering."))
    assert splitter.answer == "Blue, because of scattering."
    assert splitter.reasoning == ""
    assert channels[-1] == ("answer", "Blue, because of scattering.")
    splitter, _ = split(["Reasoning: blue, because of scattering."])
    assert splitter.answer == "blue, because of scattering."


def test_an_answer_label_at_the_start_means_no_reasoning():
    splitter, channels = split(["Answer: Blue."])
    assert (splitter.reasoning, splitter.answer) == ("", "Blue.")
    assert all(channel == "answer" for channel, _ in channels)


def test_without_chain_of_thought_everything_is_answer_and_labels_are_dropped():
    splitter, channels = split(chars("Answer: Blue."), chain_of_thought=False)
    assert splitter.answer == "Blue." and splitter.reasoning == ""
    assert all(channel == "answer" for channel, _ in channels)


def test_a_model_that_reasons_unasked_is_still_split():
    splitter, channels = split(chars("Reasoning: it is hot. Answer: Tea."), chain_of_thought=False)
    assert (splitter.reasoning, splitter.answer) == ("it is hot.", "Tea.")
    assert "".join(text for channel, text in channels if channel == "answer").strip() == "Tea."


def test_labels_match_case_insensitively_and_empty_streams_are_fine():
    splitter, _ = split(["reasoning: x. ANSWER: y"])
    assert (splitter.reasoning, splitter.answer) == ("x.", "y")
    splitter, channels = split([])
    assert (splitter.reasoning, splitter.answer, channels) == ("", "", [])
