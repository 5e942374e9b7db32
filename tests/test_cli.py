import io
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from agent.cli import app, chat_loop
from agent.llm import GenerationOptions
from agent.llm.fake import FakeLLM

runner = CliRunner()


def run_chat(llm, text, max_tokens=64):
    out = io.StringIO()
    answered = chat_loop(llm, GenerationOptions(max_tokens=max_tokens), io.StringIO(text), out)
    return answered, out.getvalue()


def test_chat_streams_replies_and_keeps_history():
    llm = FakeLLM(["Hello Lin.", "You are Lin."])
    answered, output = run_chat(llm, "I am Lin\n\nwho am I?\n")
    assert answered == 2
    assert "congming> Hello Lin." in output and "congming> You are Lin." in output
    second_prompt = llm.prompts[1]
    assert [m.role for m in second_prompt] == ["system", "user", "assistant", "user"]
    assert second_prompt[1].content == "I am Lin" and second_prompt[2].content == "Hello Lin."


def test_reset_and_exit_commands():
    llm = FakeLLM(["ok"])
    answered, output = run_chat(llm, "one\n/reset\ntwo\n/exit\nthree\n")
    assert answered == 2
    assert "(conversation cleared)" in output
    assert [m.role for m in llm.prompts[1]] == ["system", "user"]


def test_old_turns_are_folded_into_a_summary_to_fit_the_context():
    llm = FakeLLM(["ok"], max_context=120)
    text = "".join(f"message number {i} is about topic {i}\n" for i in range(12)) + "latest question\n"
    answered, _ = run_chat(llm, text, max_tokens=10)
    assert answered == 13
    last = llm.prompts[-1]
    assert llm.count_tokens(last) + 10 <= 120
    assert last[-1].content == "latest question"
    assert "message number 11 is about topic 11" in [m.content for m in last]  # newest turn verbatim
    verbatim = {m.content for m in last[1:]}
    summary = last[0].content.split("Summary of the earlier conversation:")[1]
    folded = [i for i in range(12) if f"message number {i} is" in summary]
    assert folded and all(f"message number {i} is about topic {i}" not in verbatim for i in folded)


def test_message_too_big_for_the_context_is_refused_and_chat_goes_on():
    llm = FakeLLM(["fine"], max_context=50)
    answered, output = run_chat(llm, ("word " * 200) + "\nshort\n", max_tokens=5)
    assert "message not sent" in output and "Shorten the message" in output
    assert answered == 1


def test_cli_chat_with_fake_backend(settings, monkeypatch):
    monkeypatch.setenv("CONGMING_LLM__BACKEND", "fake")
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


@pytest.mark.model
def test_terminal_chat_answers_with_the_packaged_model(tmp_path):
    """The real thing: `congming chat` as a process, fully offline, two turns."""
    done = subprocess.run(
        [sys.executable, "-m", "agent.cli", "chat", "--threads", "1", "--max-tokens", "24",
         "--temperature", "0"],
        input="What color is the sky on a clear day?\nWhat is 2+2?\n", capture_output=True, text=True,
        timeout=300, env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    replies = [line for line in done.stdout.splitlines() if line.startswith("congming> ")]
    assert len(replies) == 2
    assert all(len(reply) > len("congming> ") for reply in replies)
    assert "blue" in replies[0].lower()  # a fact even a 135M model gets right
