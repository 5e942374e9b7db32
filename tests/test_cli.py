import io
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from agent import Agent
from agent.cli import app
from agent.cli_chat import chat_loop
from agent.llm.fake import FakeLLM

runner = CliRunner()


def run_chat(settings, replies, text, **llm_settings):
    settings.embedder.backend = "hash"
    for key, value in llm_settings.items():
        setattr(settings.llm, key, value)
    llm = FakeLLM(replies)
    out = io.StringIO()
    with Agent(settings, llm=llm) as agent:
        answered = chat_loop(agent, io.StringIO(text), out, user_id="ann")
    return answered, out.getvalue(), llm


def test_chat_streams_replies_and_keeps_history(settings):
    answered, output, llm = run_chat(settings, ["Hello Lin.", "You are Lin."], "I am Lin\n\nI like tea\n")
    assert answered == 2
    assert "congming> Hello Lin." in output and "congming> You are Lin." in output
    second_prompt = llm.prompts[1]
    assert [m.role for m in second_prompt] == ["system", "user", "assistant", "user"]
    assert second_prompt[1].content == "I am Lin" and second_prompt[2].content == "Hello Lin."


def test_reset_and_exit_commands(settings):
    chat = "I say one.\n/reset\nI say two.\n/exit\nI say three.\n"
    answered, output, llm = run_chat(settings, ["ok"], chat)
    assert answered == 2
    assert "(conversation cleared)" in output
    assert [m.role for m in llm.prompts[1]] == ["system", "user"]


def test_questions_are_answered_from_documents_with_citations_or_declined(settings):
    text = "Where does Lin live?\nWhat is the capital of Mars?\n"
    settings.embedder.backend = "hash"
    llm = FakeLLM(["Reasoning: [1] says so. Answer: Lin lives in Hangzhou [1]."])
    out = io.StringIO()
    with Agent(settings, llm=llm) as agent:
        agent.ingest_text("My sister Lin lives in Hangzhou.", source="lin.md", title="Lin", user_id="ann")
        answered = chat_loop(agent, io.StringIO(text), out, user_id="ann", show_reasoning=True)
    output = out.getvalue()
    assert answered == 2
    assert "(thinking) [1] says so." in output and "congming> Lin lives in Hangzhou [1]." in output
    assert "  [1] Lin: My sister Lin lives in Hangzhou." in output
    assert "congming> I don't know" in output


def test_old_turns_are_folded_into_a_summary_to_fit_the_context(settings):
    text = "".join(f"message number {i} is about topic {i}\n" for i in range(12)) + "this is my latest note\n"
    settings.llm.max_tokens = 10
    settings.embedder.backend = "hash"
    llm = FakeLLM(["ok"], max_context=260)
    with Agent(settings, llm=llm) as agent:
        answered = chat_loop(agent, io.StringIO(text), io.StringIO(), user_id="ann")
    assert answered == 13
    last = llm.prompts[-1]
    assert llm.count_tokens(last) + 10 <= 260
    assert last[-1].content.endswith("this is my latest note")
    contents = [m.content for m in last]
    assert "message number 11 is about topic 11" in contents  # newest turn verbatim
    summary = last[0].content.split("Summary of the earlier conversation:")[1]
    folded = [i for i in range(12) if f"message number {i} is" in summary]
    assert folded and all(f"message number {i} is about topic {i}" not in contents for i in folded)


def test_message_too_big_for_the_context_is_refused_and_chat_goes_on(settings):
    settings.embedder.backend = "hash"
    out = io.StringIO()
    with Agent(settings, llm=FakeLLM(["fine"], max_context=300)) as agent:
        chat = io.StringIO("I like " + ("word " * 400) + "\nI am short.\n")
        answered = chat_loop(agent, chat, out, user_id="ann")
    assert "message not sent" in out.getvalue() and "Shorten the message" in out.getvalue()
    assert answered == 1


def test_cli_chat_with_fake_backend(clean_env, tmp_path):
    clean_env.setenv("CONGMING_LLM__BACKEND", "fake")
    clean_env.setenv("CONGMING_EMBEDDER__BACKEND", "hash")
    clean_env.setenv("CONGMING_DATA_DIR", str(tmp_path / "data"))
    result = runner.invoke(app, ["chat"], input="hi there\n")
    assert result.exit_code == 0, result.output
    assert "Echo: hi there" in result.output


def test_cli_reports_bad_settings_clearly(settings):
    result = runner.invoke(app, ["chat", "--backend", "nonsense"])
    assert result.exit_code == 1
    assert "Unknown LLM backend 'nonsense'" in result.output


def test_cli_missing_gguf_file(settings, tmp_path):
    result = runner.invoke(app, ["chat", "--model", str(tmp_path / "none.gguf")])
    assert result.exit_code == 1
    assert "does not exist" in result.output


def test_help_everywhere():
    for args in ([], ["chat"], ["doctor"]):
        result = runner.invoke(app, [*args, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output


def test_doctor_reports_checks(settings):
    result = runner.invoke(app, ["doctor"])
    assert "python" in result.output and "llm model" in result.output
    assert "embedder model" in result.output


ZORBLAT = ("# The Zorblat festival\n\nThe Zorblat festival is held every April in the town of Quillon. "
           "It was founded by Mara Teskin in 1962. Visitors build kites shaped like herons.\n")


@pytest.mark.model
def test_terminal_chat_answers_with_the_packaged_model(tmp_path):
    """The real thing, as processes, fully offline: ingest a made-up document, then ask a
    question it answers (cited) and one it does not (declined)."""
    (tmp_path / "zorblat.md").write_text(ZORBLAT)
    env = {"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
           "CONGMING_DATA_DIR": str(tmp_path / "data"), "CONGMING_LLM__THREADS": "1"}

    def congming(*args, stdin=""):
        return subprocess.run([sys.executable, "-m", "agent.cli", *args], input=stdin, capture_output=True,
                              text=True, timeout=600, env=env, cwd=tmp_path)

    ingested = congming("ingest", "zorblat.md")
    assert ingested.returncode == 0, ingested.stderr
    done = congming("chat", "--max-tokens", "48", "--temperature", "0",
                    stdin="Who founded the Zorblat festival?\nWhat is the population of Mars City?\n")
    assert done.returncode == 0, done.stderr
    answers = done.stdout.split("congming> ")[1:]
    assert len(answers) == 2, done.stdout
    first, second = answers
    assert "Mara Teskin" in first and "[1] The Zorblat festival:" in first
    assert "don't know" in second
