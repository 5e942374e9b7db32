
import pytest

from agent.degenerate import degenerate
from agent.prompting import load_prompts

_TOPICS = ["rain", "wind", "snow", "fog", "hail", "sun", "dusk", "dawn", "tide", "moss", "fern", "reed",
           "oak", "elm", "ash", "yew", "bay", "cove", "dune", "reef"]
LOGICAL = "\n".join(f"{n}. The sentence is a good example of a logical sentence about the {topic}."
                    for n, topic in enumerate(_TOPICS, start=1))


@pytest.mark.parametrize(("text", "reason"), [
    ("星河科技公司简介是星河科技公司简介[1]。" * 13, "repeated sentence"),
    ("I don't know: " * 100, "repeated n-gram"),
    (LOGICAL, "repeated n-gram"),
    ("Lin lives in Hangzhou [1]. LIN  lives in hangzhou", "repeated sentence"),
    ("Lin lives in Hangzhou, and Lin lives in Hangzhou, so Lin lives in Hangzhou", "repeated n-gram"),
    ("青枫市的星河科技公司，青枫市的星河科技大楼，青枫市的星河科技园区", "repeated n-gram"),
    (" ".join(["tea", "cup", "pot"] * 40), "repeated n-gram"),
    ("", "empty"), ("   \n\t", "empty"), ("...!?", "empty"), ("[1] [2, 3]。", "empty"),
    ("[unsupported]", "empty"),
    ("I don't know. The answer is Paris.", "refusal with text appended"),
    ("I'm not sure, but the capital is Paris.", "refusal with text appended"),
    ("我不知道。答案是巴黎。", "refusal with text appended"),
])
def test_unusable_output_is_caught(text, reason):
    assert degenerate(text) == reason


def test_low_variety_without_a_repeated_ngram():
    words = ["alpha", "beta", "gamma", "delta", "omega"]
    text = " ".join(words[(i * i + i // 3) % 5] for i in range(200))
    assert degenerate(text) in {"low variety", "repeated n-gram"}


@pytest.mark.parametrize(("text", "question"), [
    ("Where does Lin live?", "Where does Lin live?"),
    ("Question: where does Lin live", "Where does Lin live?"),
    ("钟鼓楼是哪年建的？", "我想知道钟鼓楼是哪年建的"),
])
def test_an_echo_of_the_question_is_caught(text, question):
    assert degenerate(text, question=question) == "echoes the question"


@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_copy_of_the_prompt_instructions_is_caught(language):
    prompts = load_prompts(language)
    prompt = prompts.system_prompt(date="2026-11-24", chain_of_thought=True)
    copied = prompt.splitlines()[1]  # the instruction line
    assert degenerate(copied, question="Where does Lin live?", prompt=prompt) == "echoes the prompt"


def test_quoting_the_evidence_in_the_prompt_is_not_an_echo():
    evidence = "[1] The company was founded in 2011 by Dana Okafor-Lind and Piet Varga in Port Ellery."
    prompt = f"Answer from the numbered evidence.\nEvidence:\n{evidence}\nQuestion: Who founded it?"
    answer = "The company was founded in 2011 by Dana Okafor-Lind and Piet Varga in Port Ellery [1]."
    assert degenerate(answer, question="Who founded it?", prompt=prompt) is None


@pytest.mark.parametrize("text", [
    "Port Ellery [1].",
    "The company was founded in 2011 by Dana Okafor-Lind and Piet Varga [1].",
    "The Aerolux H3 tank holds 4.2 litres [1]. A full tank lasts 26 hours on the lowest setting [2].",
    "鼓楼站。",
    "禾记App 3.2版本定在11月22日上线[1]。",
    "Sure! Happy to help.",
    "1. Green tea\n2. Grilled halloumi\n3. Long walks by the sea",
    "- apples\n- pears\n- plums",
    "Ines Halloran is the chief technology officer [1]. Ines Halloran joined Kestrel Loom in 2019 [2].",
    "骆星河在青枫市工作[1]。骆星河前几天刚升了职[2]。",
    "2022年11月20日开幕，2022年11月21日比赛，2022年11月22日闭幕。",
    "I don't know: what I have does not support an answer.",
    "I don't know: I found nothing about this in your documents or in what you told me.",
    "我不知道：现有的资料不足以支持一个回答。",
    "I don't know. The evidence does not say where Lin lives.",
    "I don't know where Lin lives. Could you tell me more?",
    "Lin lives in Hangzhou [1].",
])
def test_normal_answers_pass(text):
    assert degenerate(text, question="Where does Lin live?") is None


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("key", ["abstain", "no_evidence"])
def test_the_fixed_refusals_pass(language, key):
    prompts = load_prompts(language)
    system = prompts.system_prompt(date="2026-11-24", chain_of_thought=True)
    assert degenerate(prompts.message(key), question="Where does Lin live?", prompt=system) is None


def test_a_short_answer_that_is_part_of_the_question_is_not_an_echo():
    assert degenerate("Port Ellery.", question="Is the office in Port Ellery or in Calder Works?") is None


@pytest.mark.parametrize("text", [
    "\ud800 broken \udfff surrogates", "\x00\x01", "é" * 10, "🙂", "\u200b\u200b",
])
def test_broken_unicode_does_not_raise(text):
    assert degenerate(text, question="Where?", prompt=text) in {None, "empty"}


def test_a_megabyte_is_handled():
    normal = ("The river flows north past the old mill and the ferry quay. " * 20_000)[:1_000_000]
    looping = "星河科技公司简介是星河科技公司简介[1]。" * 50_000
    assert degenerate(normal, question="x", prompt=normal) is not None  # it does loop
    assert degenerate(looping) == "repeated sentence"
    assert degenerate("x" * 1_000_000, prompt="y" * 1_000_000) is None
