"""The LoCoMo memory benchmark's dev/test split: tune on odd conversations, report on even."""

from __future__ import annotations

import json

import pytest

from benchmarks.locomo_memory import in_split, load


def sample(name: str) -> dict:
    question = {"question": f"What about {name}?", "category": 4, "evidence": ["D1:1"]}
    return {"sample_id": name, "qa": [question],
            "conversation": {"session_1_date_time": "1:56 pm on 8 May, 2023",
                             "session_1": [{"speaker": "Ann", "dia_id": "D1:1", "text": f"I am {name}."}]}}


def test_odd_positions_are_dev_and_even_ones_test():
    assert [p for p in range(1, 7) if in_split(p, "dev")] == [1, 3, 5]
    assert [p for p in range(1, 7) if in_split(p, "test")] == [2, 4, 6]
    assert all(in_split(p, "all") for p in range(1, 7))
    with pytest.raises(ValueError):
        in_split(1, "train")


def test_load_keeps_the_split_then_the_first_n(tmp_path):
    (tmp_path / "locomo_dev.json").write_text(json.dumps([sample(f"c{i}") for i in range(1, 6)]))

    assert [c.user_id for c in load(tmp_path, None, None, "dev")] == ["c1", "c3", "c5"]
    assert [c.user_id for c in load(tmp_path, None, None, "test")] == ["c2", "c4"]
    assert [c.user_id for c in load(tmp_path, 2, None, "dev")] == ["c1", "c3"]
    assert len(load(tmp_path, None, None)) == 5
