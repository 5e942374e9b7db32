"""benchmarks/memory_decay.py on a few users: every check of the memory logic holds (rates, not timings)."""

from __future__ import annotations

import json

from benchmarks.memory_decay import CHECKS, main, profiles


def test_every_check_holds_for_every_user(tmp_path, capsys):
    out = tmp_path / "memory_decay.json"
    assert main(["--users", "6", "--json", str(out)]) == 0
    result = json.loads(out.read_text(encoding="utf-8"))
    assert {c: r["rate"] for c, r in result["rates"].items()} == dict.fromkeys(CHECKS, 1.0)
    assert {r["lang"] for r in result["records"]} == {"en", "zh"}
    assert "PASS" in capsys.readouterr().out


def test_a_check_that_fails_shows_in_the_rates(tmp_path):
    out = tmp_path / "memory_decay.json"
    assert main(["--users", "2", "--min-strength", "0", "--json", str(out)]) == 1  # nothing fades
    assert json.loads(out.read_text(encoding="utf-8"))["rates"]["b"]["rate"] == 0.0


def test_profiles_are_seeded_and_tell_two_different_values():
    assert profiles(8, seed=3) == profiles(8, seed=3) != profiles(8, seed=4)
    for p in profiles(20, seed=3):
        assert p.liked_long_ago != p.liked_lately and p.first_home != p.second_home
        assert p.spoken_long_ago != p.spoken_lately
