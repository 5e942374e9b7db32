import pytest

from agent.errors import ConfigError
from agent.language import asks_question, detect_language
from agent.prompting import LANGUAGES, load_prompts, render_template


def test_strict_templating_refuses_missing_and_unused_variables():
    assert render_template("t", "Hi $name, $$5", {"name": "Lin"}) == "Hi Lin, $5"
    with pytest.raises(ConfigError, match=r"missing variables \['name'\]"):
        render_template("t", "Hi $name", {})
    with pytest.raises(ConfigError, match=r"unused variables \['extra'\]"):
        render_template("t", "Hi $name", {"name": "Lin", "extra": "x"})
    with pytest.raises(ConfigError, match="malformed"):
        render_template("t", "costs $5", {})


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_has_complete_prompts(language):
    prompts = load_prompts(language)
    with_cot = prompts.system_prompt(date="2026-11-24", chain_of_thought=True)
    without = prompts.system_prompt(date="2026-11-24", chain_of_thought=False)
    assert "2026-11-24" in with_cot and with_cot != without
    assert any(label in with_cot for label in prompts.answer_labels)
    assert "[1]" in with_cot and "$" not in with_cot
    assert prompts.question_prompt("x?").endswith("x?")
    assert prompts.message("no_evidence") and prompts.stop


def test_unknown_language_is_a_clear_error():
    with pytest.raises(ConfigError, match="No prompts for language 'fr'"):
        load_prompts("fr")


@pytest.mark.parametrize(("text", "language"), [
    ("Where does Lin live?", "en"), ("林住在哪里？", "zh"), ("我在 Google 工作", "zh"), ("", "en"),
])
def test_language_detection(text, language):
    assert detect_language(text) == language


@pytest.mark.parametrize(("text", "question"), [
    ("Where does Lin live?", True), ("what is BM25", True), ("Tell me about the Nile", True),
    ("林住在哪里", True), ("你喜欢什么", True), ("他去过上海吗", True), ("长江有多长？", True),
    ("北京冬奥会澳大利亚运动员数量", True), ("全国政协十三届五次会议闭幕时间", True),
    ("张家口赛区共产生了几块金牌", True),
    ("My sister Lin lives in Hangzhou.", False), ("thanks!", False), ("我搬到上海了。", False),
])
def test_questions_are_told_from_statements(text, question):
    assert asks_question(text) is question


@pytest.mark.parametrize(("text", "follows_up"), [
    ("What does she do?", True), ("Is it open on Sundays?", True), ("How do I get there?", True),
    ("她是做什么的？", True), ("那里冷吗？", True), ("这个多少钱？", True),
    ("Where does Lin live?", False), ("What is BM25?", False), ("林住在哪里？", False),
    ("长江有多长？", False),
])
def test_a_message_that_refers_back_is_searched_with_the_one_before_it(text, follows_up):
    from agent.language import follow_up_query, refers_back

    assert refers_back(text) is follows_up
    expected = f"Where does Lin live?\n{text}" if follows_up else text
    assert follow_up_query(text, "Where does Lin live?") == expected
    assert follow_up_query(text, "") == text
