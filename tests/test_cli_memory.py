"""`congming remember`, `memories` and `forget` through the real Typer app and Agent."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

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


def tell_long_ago(tmp_path, user: str, days: int, *facts: tuple[str, str]) -> None:
    """Facts told once, ``days`` ago: after a year they are far below memory.min_strength."""
    from memory.facts import Triple

    settings = Settings.load(data_dir=tmp_path / "data", embedder={"backend": "hash"})
    at = datetime.now(UTC) - timedelta(days=days)
    with Agent(settings) as agent:
        memory = agent._long_term().facts
        for n, (relation, value) in enumerate(facts):
            memory.observe(user, [Triple("user", relation, value)], provenance=f"old-{n}", at=at)
        agent.close_memory()


def row(output: str, words: str) -> str:
    return next(line for line in output.splitlines() if words in line)


def test_faded_facts_are_hidden_and_counted_until_all(cli_env, tmp_path):
    tell_long_ago(tmp_path, "ann", 365, ("likes", "tea"), ("likes", "chess"), ("speaks", "Welsh"))
    assert invoke("remember", "I live in Hangzhou", "--user", "ann").exit_code == 0

    listed = invoke("memories", "--user", "ann")
    assert listed.exit_code == 0, listed.output
    assert "lives in Hangzhou" in listed.stdout and "tea" not in listed.stdout
    assert "3 weaker facts not shown" in listed.stdout and "--all lists them" in listed.stdout
    assert len(fact_ids(listed.stdout)) == 1

    everything = invoke("memories", "--all", "--user", "ann")
    assert everything.exit_code == 0, everything.output
    assert len(fact_ids(everything.stdout)) == 4 and "not shown" not in everything.stdout
    assert "faded" in row(everything.stdout, "tea") and "0.00" in row(everything.stdout, "tea")
    assert "current" in row(everything.stdout, "Hangzhou")


def test_only_faded_facts_say_so_rather_than_none(cli_env, tmp_path):
    tell_long_ago(tmp_path, "ann", 365, ("likes", "tea"))
    listed = invoke("memories", "--user", "ann").stdout
    assert "No facts remembered" not in listed and "1 weaker fact not shown" in listed


def test_min_strength_setting_decides_what_is_faded(cli_env):
    invoke("remember", "I like tea", "--user", "ann")  # told once: strength 0.5
    assert "1 weaker fact not shown" not in invoke("memories", "--user", "ann").stdout
    cli_env.setenv("CONGMING_MEMORY__MIN_STRENGTH", "0.6")
    assert "1 weaker fact not shown" in invoke("memories", "--user", "ann").stdout


def test_history_shows_ended_facts_with_their_span_and_combines_with_all(cli_env, tmp_path):
    tell_long_ago(tmp_path, "ann", 400, ("lives_in", "Berlin"), ("likes", "tea"))
    assert invoke("remember", "I live in Paris", "--user", "ann").exit_code == 0
    today = f"{datetime.now(UTC):%Y-%m-%d}"
    told = f"{datetime.now(UTC) - timedelta(days=400):%Y-%m-%d}"

    current = invoke("memories", "--user", "ann").stdout
    assert "Paris" in current and "Berlin" not in current and "1 weaker fact not shown" in current

    history = invoke("memories", "--history", "--user", "ann")
    assert history.exit_code == 0, history.output
    berlin = row(history.stdout, "Berlin")
    assert "ended" in berlin and f"{told} - {today}" in berlin
    assert f"{today} - now" in row(history.stdout, "Paris") and "tea" not in history.stdout
    assert "1 weaker fact not shown" in history.stdout

    both = invoke("memories", "--history", "--all", "--user", "ann").stdout
    assert len(fact_ids(both)) == 3
    assert "faded" in row(both, "tea") and "ended" in row(both, "Berlin") and "not shown" not in both
