import io
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from agent.cli import app, chat_loop, fit_history
from agent.llm import ChatMessage, GenerationOptions
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


def test_old_turns_are_dropped_to_fit_the_context():
    llm = FakeLLM(max_context=60)
    history = []
    for i in range(10):
        history += [ChatMessage("user", f"message number {i} " * 3), ChatMessage("assistant", "ok")]
    messages = fit_history(llm, "system", history, "latest question", reserve=10)
    assert llm.count_tokens(messages) + 10 <= 60
    assert messages[-1].content == "latest question"
    assert messages[-3].content == history[-2].content  # the newest turns are the ones kept


def test_message_too_big_for_the_context_is_refused_and_chat_goes_on():
    llm = FakeLLM(["fine"], max_context=50)
    answered, output = run_chat(llm, ("word " * 200) + "\nshort\n", max_tokens=5)
    assert "message not sent" in output and "context window" in output
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
