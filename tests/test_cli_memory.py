"""`congming remember`, `memories` and `forget` through the real Typer app and Agent."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.core import Agent
from agent.settings import Settings

pytest.importorskip("faiss")

runner = CliRunner()


def invoke(*args: str, input: str | None = None):
    return runner.invoke(app, list(args), input=input)


def fact_ids(output: str) -> list[str]:
    return re.findall(r"fact-[0-9a-f]{24}", output)


def test_remember_list_and_forget_one(cli_env):
    told = invoke("remember", "I live in Hangzhou", "--user", "ann")
    assert told.exit_code == 0, told.output
    assert "The user lives in Hangzhou." in told.stdout
    assert invoke("remember", "I like jazz music", "--user", "ann").exit_code == 0
    assert invoke("remember", "I like tea", "--user", "bob").exit_code == 0

    listed = invoke("memories", "--user", "ann")
    assert listed.exit_code == 0, listed.output
    assert "lives in Hangzhou" in listed.stdout and "likes jazz music" in listed.stdout
    assert "tea" not in listed.stdout  # bob's
    ids = fact_ids(listed.stdout)
    assert len(ids) == 2

    assert invoke("forget", ids[0], "--user", "bob").exit_code == 1  # not bob's to forget
    gone = invoke("forget", ids[0], "--user", "ann")
    assert gone.exit_code == 0 and f"Forgot {ids[0]}" in gone.stdout
    assert fact_ids(invoke("memories", "--user", "ann").stdout) == ids[1:]


def test_forget_all_asks_first_and_deletes_facts_and_turns(cli_env, tmp_path):
    invoke("remember", "I live in Berlin", "--user", "ann")
    invoke("remember", "I live in Paris", "--user", "bob")
    settings = Settings.load(data_dir=tmp_path / "data", embedder={"backend": "hash"})
    with Agent(settings) as agent:
        agent.memory.schedule_turn("ann", "s1", "What time is it in Tokyo?", "Nine.", turn_id="t1")
        assert agent.memory.drain(timeout=60)
        agent.close_memory()

    kept = invoke("forget", "--all", "--user", "ann", input="n\n")
    assert kept.exit_code == 1 and "1 conversation turns" in invoke("memories", "--user", "ann").stdout

    wiped = invoke("forget", "--all", "--user", "ann", input="y\n")
    assert wiped.exit_code == 0, wiped.output
    assert "2 memories deleted" in wiped.stdout  # one fact, one turn
    after = invoke("memories", "--user", "ann").stdout
    assert "No facts remembered" in after and "0 conversation turns" in after
    assert "lives in Paris" in invoke("memories", "--user", "bob").stdout


def test_bad_arguments_exit_2(cli_env):
    assert invoke("forget", "--user", "ann").exit_code == 2
    assert invoke("forget", "fact-x", "--all", "--yes", "--user", "ann").exit_code == 2
    assert invoke("memories", "--user", " ").exit_code == 2
    assert invoke("remember", "   ", "--user", "ann").exit_code == 2


def test_memory_switched_off_is_a_clear_error(cli_env):
    cli_env.setenv("CONGMING_MEMORY__ENABLED", "false")
    result = invoke("memories", "--user", "ann")
    assert result.exit_code == 2 and "CONGMING_MEMORY__ENABLED=true" in result.output
