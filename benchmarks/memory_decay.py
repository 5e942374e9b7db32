"""Fact memory over simulated time: decay, fading, contradiction and retraction, in English and Chinese.

Each synthetic user (seeded names, places, languages and likes) tells facts on a simulated clock,
straight to ``FactMemory`` on the embedded SQLite graph store - no LLM, no extractor: this
measures the memory logic. Four checks per user, each a rate that should be 100%:

(a) decay: a thing liked once 90 days ago ranks below one liked three times in the last week,
    for a question both match ("What do I like?"); with the defaults both are still recalled.
(b) fading: a language spoken once 200 days ago (strength below ``min_strength``) is left out
    of recall, which still finds the one told two days ago, and ``facts()`` (so
    ``congming memories --all``) still lists it.
(c) contradiction: "I live in A" three times, then "I live in B" once: recall gives B and not A,
    A is ended (``valid_to`` = when B was told), history lists B (current) then A.
(d) retraction: then "I no longer live in B" (not_lives_in): no current place is recalled or
    listed, B is ended at that moment, history still lists both.

    python benchmarks/memory_decay.py --users 200
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import describe_machine, fmt, machine_info, percentile, table, write_results
from graph.sqlite_store import SQLiteGraphStore
from memory.facts import Fact, FactMemory, Triple

PACKAGES = ("congming",)
NOW = datetime(2031, 6, 1, 12, 0, tzinfo=UTC)
CHECKS = {
    "a": "told once 90 d ago ranks below told 3x in the last week",
    "b": "faded below min_strength: not recalled, still listed",
    "c": "lives in A x3, then B: B current, A ended, history A+B",
    "d": "not_lives_in B: nothing current, B ended, history A+B",
}
LANGUAGES: dict[str, dict[str, Any]] = {
    "en": {
        "names": ["ann", "bob", "carla", "dev", "emma", "farid", "grace", "hugo", "ines", "jon"],
        "places": ["Hangzhou", "Berlin", "Lisbon", "Toronto", "Nairobi", "Osaka", "Lima", "Oslo",
                   "Austin", "Dublin", "Hanoi", "Porto"],
        "likes": ["tea", "chess", "jazz", "hiking", "sushi", "painting", "tennis", "poetry", "cycling",
                  "opera"],
        "languages": ["French", "Spanish", "Welsh", "German", "Italian", "Japanese", "Korean", "Dutch",
                      "Swahili", "Greek"],
        "say": {"likes": "I like {}.", "speaks": "I speak {}.", "lives_in": "I live in {}.",
                "not_lives_in": "I no longer live in {}."},
        "ask": {"likes": "What do I like?", "speaks": "What languages do I speak?",
                "lives_in": "Where do I live?"},
    },
    "zh": {
        "names": ["李娜", "王伟", "张敏", "刘洋", "陈静", "杨帆", "赵磊", "黄丽", "周杰", "吴芳"],
        "places": ["杭州", "上海", "成都", "西安", "深圳", "南京", "重庆", "厦门", "苏州", "昆明",
                   "青岛", "大连"],
        "likes": ["茶", "围棋", "爵士乐", "爬山", "寿司", "画画", "网球", "诗歌", "骑车", "京剧"],
        "languages": ["法语", "西班牙语", "德语", "日语", "韩语", "粤语", "意大利语", "俄语", "阿拉伯语",
                      "葡萄牙语"],
        "say": {"likes": "我喜欢{}。", "speaks": "我会说{}。", "lives_in": "我住在{}。",
                "not_lives_in": "我不住在{}了。"},
        "ask": {"likes": "我喜欢什么？", "speaks": "我会说什么语言？", "lives_in": "我住在哪里？"},
    },
}


class SimulatedClock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass(frozen=True, slots=True)
class Profile:
    user_id: str
    lang: str
    liked_long_ago: str
    liked_lately: str
    spoken_long_ago: str
    spoken_lately: str
    first_home: str
    second_home: str


def profiles(users: int, seed: int) -> list[Profile]:
    rng = random.Random(seed)
    out = []
    for i in range(users):
        lang = "en" if i % 2 == 0 else "zh"
        words = LANGUAGES[lang]
        likes, spoken, homes = (rng.sample(words[key], 2) for key in ("likes", "languages", "places"))
        out.append(Profile(f"{rng.choice(words['names'])}-{i}", lang, *likes, *spoken, *homes))
    return out


class Timed:
    """A FactMemory whose observe and recall calls are timed (milliseconds)."""

    def __init__(self, memory: FactMemory, clock: SimulatedClock) -> None:
        self.memory, self.clock = memory, clock
        self.observe_ms: list[float] = []
        self.recall_ms: list[float] = []

    def tell(self, p: Profile, relation: str, value: str, days_ago: float, turn: str) -> list[Any]:
        self.clock.now = NOW - timedelta(days=days_ago)
        text = LANGUAGES[p.lang]["say"][relation].format(value)
        started = time.perf_counter()
        changes = self.memory.observe(p.user_id, [Triple("user", relation, value, text)], provenance=turn)
        self.observe_ms.append((time.perf_counter() - started) * 1000)
        return changes

    def recall(self, p: Profile, relation: str, k: int = 5) -> list[Fact]:
        started = time.perf_counter()
        found = self.memory.recall(p.user_id, LANGUAGES[p.lang]["ask"][relation], k=k)
        self.recall_ms.append((time.perf_counter() - started) * 1000)
        return found


def objects(facts: Sequence[Fact], relation: str) -> list[str]:
    return [f.object for f in facts if f.relation == relation]


def simulate(memory: Timed, p: Profile) -> dict[str, Any]:
    """Tell one user's facts in time order, then run the four checks; a record of what was seen."""
    memory.tell(p, "speaks", p.spoken_long_ago, 200, "t-speaks-old")
    memory.tell(p, "likes", p.liked_long_ago, 90, "t-likes-old")
    for n, days in enumerate((60, 50, 40)):
        memory.tell(p, "lives_in", p.first_home, days, f"t-home-{n}")
    memory.tell(p, "lives_in", p.second_home, 10, "t-moved")
    moved_at = memory.clock.now
    for n, days in enumerate((6, 4, 1)):
        memory.tell(p, "likes", p.liked_lately, days, f"t-likes-{n}")
    memory.tell(p, "speaks", p.spoken_lately, 2, "t-speaks-new")
    memory.clock.now = NOW
    record: dict[str, Any] = {"user": p.user_id, "lang": p.lang}

    liked = objects(memory.recall(p, "likes"), "likes")
    old_below = p.liked_long_ago not in liked or liked.index(p.liked_long_ago) > 0
    record["a"] = {"recalled": liked, "ok": liked[:1] == [p.liked_lately] and old_below}

    spoken = objects(memory.recall(p, "speaks"), "speaks")
    listed = {f.object: f.strength for f in memory.memory.facts(p.user_id) if f.relation == "speaks"}
    faded = listed.get(p.spoken_long_ago, 1.0) < memory.memory.min_strength
    record["b"] = {"recalled": spoken, "listed": listed,
                   "ok": spoken == [p.spoken_lately] and faded}

    homes = objects(memory.recall(p, "lives_in"), "lives_in")
    ended = {f.object: f.valid_to for f in memory.memory.facts(p.user_id, include_history=True)
             if f.relation == "lives_in" and not f.current}
    history = [(f.object, f.current) for f in memory.memory.history(p.user_id, "user", "lives_in")]
    record["c"] = {"recalled": homes, "history": history,
                   "ok": homes == [p.second_home] and ended == {p.first_home: moved_at}
                   and history == [(p.second_home, True), (p.first_home, False)]}

    changes = memory.tell(p, "not_lives_in", p.second_home, 0, "t-left")
    memory.clock.now = NOW + timedelta(hours=1)
    homes = objects(memory.recall(p, "lives_in"), "lives_in")
    current = objects(memory.memory.facts(p.user_id), "lives_in")
    history = memory.memory.history(p.user_id, "user", "lives_in")
    record["d"] = {"recalled": homes, "current": current,
                   "history": [(f.object, f.current) for f in history],
                   "ok": [c.kind for c in changes] == ["retracted"] and homes == current == []
                   and {f.object: f.valid_to for f in history} == {p.first_home: moved_at,
                                                                   p.second_home: NOW}}
    return record


def run(users: int, seed: int, half_life_days: float, min_strength: float,
        progress: Callable[[], None] = lambda: None) -> tuple[list[dict[str, Any]], Timed, float]:
    """Every user through ``simulate`` on a fresh store; the records, the timings, the seconds."""
    with tempfile.TemporaryDirectory() as tmp:
        graph = SQLiteGraphStore(Path(tmp) / "congming.db")
        graph.open()
        try:
            clock = SimulatedClock()
            memory = Timed(FactMemory(graph, half_life_days=half_life_days, min_strength=min_strength,
                                      clock=clock), clock)
            started = time.perf_counter()
            records = []
            for p in profiles(users, seed):
                records.append(simulate(memory, p))
                progress()
            return records, memory, time.perf_counter() - started
        finally:
            graph.close()


def rates(records: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out = {}
    for check in CHECKS:
        passed = sum(r[check]["ok"] for r in records)
        out[check] = {"users": len(records), "passed": passed,
                      "rate": passed / len(records) if records else None}
    return out


def spread(ms: Sequence[float]) -> dict[str, float | None]:
    return {"p50": percentile(ms, 50), "p95": percentile(ms, 95)}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200, help="synthetic users (half English, half Chinese)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--half-life-days", type=float, default=30.0)
    parser.add_argument("--min-strength", type=float, default=0.05)
    parser.add_argument("--json", type=Path, default=None, help="write every per-user record here")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    from rich.console import Console
    from rich.progress import Progress

    args = parse_args(argv)
    info = machine_info(PACKAGES)
    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("users", total=args.users)
        records, timed, seconds = run(args.users, args.seed, args.half_life_days, args.min_strength,
                                      lambda: progress.advance(task))
    summary = rates(records)
    print("\n".join(describe_machine(info)))
    print(f"inputs: {args.users} synthetic users (en/zh), seed {args.seed}; half-life "
          f"{args.half_life_days:g} d, min_strength {args.min_strength:g}; FactMemory on the embedded "
          f"SQLite graph store (SQLite {sqlite3.sqlite_version}), simulated clock, no LLM")
    rows = [[f"({c}) {what}", s["users"], s["passed"], fmt(None if s["rate"] is None else s["rate"] * 100, 1)]
            for (c, what), s in zip(CHECKS.items(), summary.values(), strict=True)]
    print(table(["check", "users", "passed", "rate %"], rows))
    timing = {"seconds": seconds,
              "observe_calls": len(timed.observe_ms), "observe_ms": spread(timed.observe_ms),
              "recall_calls": len(timed.recall_ms), "recall_ms": spread(timed.recall_ms)}
    print(f"wall time {seconds:.1f} s: {timing['observe_calls']} observe calls (p50 "
          f"{fmt(timing['observe_ms']['p50'])} ms, p95 {fmt(timing['observe_ms']['p95'])} ms), "
          f"{timing['recall_calls']} recall calls (p50 {fmt(timing['recall_ms']['p50'])} ms, "
          f"p95 {fmt(timing['recall_ms']['p95'])} ms)")
    held = all(s["rate"] == 1.0 for s in summary.values())
    print(f"target: every check holds for every user -> {'PASS' if held else 'FAIL'}")
    result = {"machine": info, "args": {k: str(v) for k, v in vars(args).items()}, "rates": summary,
              "timing": timing, "records": records}
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n",
                             encoding="utf-8")
        path = args.json
    else:
        path = write_results("memory_decay", json.loads(json.dumps(result, default=str)))
    print(f"per-user records: {path}")
    return 0 if held else 1


if __name__ == "__main__":
    raise SystemExit(main())
