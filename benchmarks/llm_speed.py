"""LLM speed: llama.cpp Q4_1 vs transformers fp32 vs transformers int8, on the same weights.

Each variant runs in its own subprocess (so peak RSS is per variant) on the same prompt: a
made-up document of about --ctx-tokens tokens, ending in a short chat. It measures time to
first token (TTFT) and decode speed (tokens after the first / time after the first), as
medians over --runs after one warm-up, then the effect of llama.cpp's prompt-prefix cache
on a second turn. Run from the repository root:

    python benchmarks/llm_speed.py --threads 1 --runs 5
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from string import ascii_uppercase
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import (
    describe_machine,
    machine_info,
    median,
    peak_rss_mib,
    table,
    write_results,
)

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = {
    "llamacpp": "llama.cpp Q4_1",
    "hf-fp32": "transformers fp32",
    "hf-int8": "transformers int8",
}
PACKAGES = ("torch", "transformers", "llama_cpp_python", "gguf")
DECODE_TARGET = 5.0  # llama.cpp decode >= 5x transformers fp32
TTFT_TARGET_S = 1.5  # llama.cpp TTFT at 1k context on 1 thread

SYLLABLES = ("vel", "mor", "ash", "brin", "cal", "dun", "el", "fen", "gar", "hol", "ist", "kar",
             "lun", "nor", "os", "pel", "quin", "ros", "sel", "tor", "ul", "var", "wen", "yar")
RIVERS = ("Amber", "Silt", "Heron", "Lark", "Flint", "Otter", "Willow", "Copper")
INDUSTRIES = ("glass-making", "wool weaving", "salt mining", "shipbuilding", "cheese making",
              "paper milling", "clock making", "brewing", "stone carving", "rope making")
SURNAMES = ("Okafor", "Lindqvist", "Moreau", "Tanaka", "Haddad", "Novak", "Ferreira", "Kowalski",
            "Mensah", "Ivanova", "Castillo", "Brennan")


# -- the prompt ----------------------------------------------------------------------------

def make_towns(count: int = 400, seed: int = 7) -> list[dict[str, Any]]:
    """Made-up towns with facts, the same on every run and every machine."""
    rng = random.Random(seed)
    towns, names = [], set()
    while len(towns) < count:
        name = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
        if name in names:
            continue
        names.add(name)
        towns.append({"name": name, "population": rng.randint(800, 250_000),
                      "founded": rng.randint(1100, 1900), "river": rng.choice(RIVERS),
                      "industry": rng.choice(INDUSTRIES),
                      "mayor": f"{rng.choice('ABCDEFGHJKLMNPRST')}. {rng.choice(SURNAMES)}"})
    return towns


def town_sentence(town: dict[str, Any]) -> str:
    return (f"{town['name']} lies on the {town['river']} river and has {town['population']:,} "
            f"inhabitants. It was founded in {town['founded']}; its main industry is "
            f"{town['industry']}, and its mayor is {town['mayor']}.")


def run_tag(index: int) -> str:
    """Consecutive tags differ in their first character, so no two runs share a prompt prefix."""
    return f"{ascii_uppercase[index % 26]}{index:03d}"


def chat(towns: list[dict[str, Any]], tag: str, second_turn: bool = False) -> list:
    from agent.llm.base import ChatMessage

    largest = sorted(towns, key=lambda t: -t["population"])
    document = "\n".join(town_sentence(t) for t in towns)
    messages = [
        ChatMessage("system", f"{tag}. You are a careful assistant. Answer only from the report."),
        ChatMessage("user", f"Here is a report on the towns of the Vell valley.\n\n{document}\n\n"
                            "Which town has the most inhabitants?"),
        ChatMessage("assistant", f"{largest[0]['name']} has the most inhabitants: "
                                 f"{largest[0]['population']:,}."),
        ChatMessage("user", "Thank you. Now describe the three largest towns in detail: their "
                            "river, main industry, founding year and mayor."),
    ]
    if second_turn:
        names = ", ".join(t["name"] for t in largest[:3])
        messages += [ChatMessage("assistant", f"The three largest towns are {names}."),
                     ChatMessage("user", "And which of all the towns is the oldest?")]
    return messages


def fit_towns(llm, ctx_tokens: int) -> list[dict[str, Any]]:
    """The fewest towns whose chat is at least ``ctx_tokens`` prompt tokens long."""
    towns = make_towns()
    low, high = 1, len(towns)
    while low < high:
        middle = (low + high) // 2
        if llm.count_tokens(chat(towns[:middle], run_tag(0))) >= ctx_tokens:
            high = middle
        else:
            low = middle + 1
    return towns[:low]


# -- one variant, in its own process ------------------------------------------------------

def build_llm(variant: str, gguf: Path, threads: int, n_ctx: int):
    if variant == "llamacpp":
        from agent.llm.llamacpp import LlamaCppLLM

        return LlamaCppLLM(gguf, n_ctx=n_ctx, threads=threads)
    from agent.llm.hf import TransformersLLM

    return TransformersLLM(gguf, threads=threads, quantize="int8" if variant == "hf-int8" else "none")


def prompt_ids(llm, messages) -> list[int]:
    if hasattr(llm, "prompt_ids"):
        return llm.prompt_ids(messages)
    return llm.tokenize(llm.render(messages)[0])


def output_tokens(llm, text: str) -> int:
    """Tokens in a reply, counted by re-tokenizing it with the model's own tokenizer."""
    from agent.llm.base import ChatMessage

    empty = llm.count_tokens([ChatMessage("assistant", "")])
    return llm.count_tokens([ChatMessage("assistant", text)]) - empty


def timed_stream(llm, messages, max_tokens: int) -> dict[str, Any]:
    from agent.llm.base import GenerationOptions

    options = GenerationOptions(max_tokens=max_tokens, temperature=0.0)
    pieces: list[str] = []
    start = time.perf_counter()
    first = None
    for piece in llm.stream(messages, options):
        if first is None:
            first = time.perf_counter()
        pieces.append(piece)
    end = time.perf_counter()
    first = first or end
    tokens = output_tokens(llm, "".join(pieces))
    decode = (tokens - 1) / (end - first) if tokens > 1 and end > first else None
    return {"ttft_s": first - start, "total_s": end - start, "new_tokens": tokens,
            "decode_tok_s": decode}


def common_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def measure_variant(variant: str, args: argparse.Namespace) -> dict[str, Any]:
    from agent.llm.base import GenerationOptions

    started = time.perf_counter()
    llm = build_llm(variant, Path(args.model), args.threads,
                    n_ctx=args.ctx_tokens + args.new_tokens + 512)
    llm.open()
    load_s = time.perf_counter() - started
    towns = fit_towns(llm, args.ctx_tokens)
    tags = iter(range(10_000))
    timed_stream(llm, chat(towns, run_tag(next(tags))), args.new_tokens)  # warm-up
    runs = [timed_stream(llm, chat(towns, run_tag(next(tags))), args.new_tokens)
            for _ in range(args.runs)]
    first, second = (prompt_ids(llm, chat(towns, run_tag(i))) for i in (1, 2))

    warm, cold = [], []
    for _ in range(args.runs):
        tag = run_tag(next(tags))
        llm.complete(chat(towns, tag), GenerationOptions(max_tokens=1))  # turn 1 fills the cache
        warm.append(timed_stream(llm, chat(towns, tag, second_turn=True), 1)["ttft_s"])
        cold.append(timed_stream(llm, chat(towns, run_tag(next(tags)), second_turn=True),
                                 1)["ttft_s"])
    result = {
        "variant": variant, "label": VARIANTS[variant], "load_s": load_s,
        "converted_gguf": getattr(llm, "converted", False),
        "towns": len(towns), "prompt_tokens": len(first),
        "shared_prefix_tokens": common_prefix(first, second), "runs": runs,
        "median": {key: median([r[key] for r in runs if r[key] is not None])
                   for key in ("ttft_s", "decode_tok_s", "new_tokens", "total_s")},
        "reuse": {"turn1_tokens": llm.count_tokens(chat(towns, run_tag(1))),
                  "turn2_tokens": llm.count_tokens(chat(towns, run_tag(1), second_turn=True)),
                  "warm_ttft_s": warm, "cold_ttft_s": cold,
                  "median_warm_ttft_s": median(warm), "median_cold_ttft_s": median(cold)},
    }
    llm.close()
    result["peak_rss_mib"] = peak_rss_mib()
    return result


def prepare_gguf(args: argparse.Namespace) -> dict[str, Any]:
    """Unpack the GGUF for transformers once, outside the measured processes."""
    from agent.llm.hf import TransformersLLM

    started = time.perf_counter()
    llm = TransformersLLM(Path(args.model), threads=args.threads)
    llm.open()
    return {"converted": llm.converted, "seconds": time.perf_counter() - started,
            "checkpoint": str(llm.checkpoint)}


# -- the parent: run each variant, then report --------------------------------------------

def run_worker(job: str, args: argparse.Namespace) -> dict[str, Any]:
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               TOKENIZERS_PARALLELISM="false", OMP_NUM_THREADS=str(args.threads),
               MKL_NUM_THREADS=str(args.threads))
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "result.json"
        command = [sys.executable, "-m", "benchmarks.llm_speed", "--worker", job,
                   "--worker-out", str(out), "--model", str(args.model),
                   "--threads", str(args.threads), "--runs", str(args.runs),
                   "--ctx-tokens", str(args.ctx_tokens), "--new-tokens", str(args.new_tokens)]
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                              check=False)
        if done.returncode != 0 or not out.is_file():
            tail = "\n".join(done.stderr.strip().splitlines()[-15:])
            return {"variant": job, "error": f"exit {done.returncode}:\n{tail}"}
        return json.loads(out.read_text())


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a and b else None


def summarize(results: dict[str, dict], args: argparse.Namespace) -> dict[str, Any]:
    def med(variant: str, key: str) -> float | None:
        return results.get(variant, {}).get("median", {}).get(key)

    decode_ratio = ratio(med("llamacpp", "decode_tok_s"), med("hf-fp32", "decode_tok_s"))
    llama_ttft = med("llamacpp", "ttft_s")
    standard = args.threads == 1 and args.ctx_tokens == 1024
    return {
        "ratios": {
            "llamacpp_decode_over_fp32": decode_ratio,
            "int8_decode_over_fp32": ratio(med("hf-int8", "decode_tok_s"),
                                           med("hf-fp32", "decode_tok_s")),
            "int8_ttft_over_fp32": ratio(med("hf-int8", "ttft_s"), med("hf-fp32", "ttft_s")),
        },
        "targets": [
            {"target": f"llama.cpp decode >= {DECODE_TARGET:g}x transformers fp32",
             "value": decode_ratio,
             "pass": None if decode_ratio is None else decode_ratio >= DECODE_TARGET},
            {"target": f"llama.cpp TTFT <= {TTFT_TARGET_S} s at 1k context, 1 thread",
             "value": llama_ttft, "measured_as_specified": standard,
             "pass": None if llama_ttft is None else llama_ttft <= TTFT_TARGET_S},
        ],
    }


def verdict(target: dict[str, Any]) -> str:
    if target["pass"] is None:
        return "not measured"
    word = "PASS" if target["pass"] else "FAIL"
    if target.get("measured_as_specified") is False:
        word += " (not at --threads 1 --ctx-tokens 1024)"
    return word


def report(data: dict[str, Any]) -> str:
    inputs, results = data["inputs"], data["results"]
    ok = [r for r in results.values() if "error" not in r]
    shared = max((r["shared_prefix_tokens"] for r in ok), default=0)
    lines = ["# LLM speed", *describe_machine(data["machine"]),
             f"inputs: {inputs['model']}; prompt ~{inputs['ctx_tokens']} tokens (a made-up "
             f"report on towns + a short chat); {inputs['new_tokens']} new tokens, greedy; "
             f"{inputs['threads']} thread(s); medians of {inputs['runs']} runs after 1 warm-up",
             f"note: every timed run starts with its own run tag, so llama.cpp cannot reuse "
             f"a cached prompt prefix (consecutive prompts share only {shared} tokens, the chat "
             "template's opening). TTFT = time to the first streamed text; decode tok/s = "
             "(tokens - 1) / time after the first; tokens counted by re-tokenizing the reply.",
             ""]
    rows = [[r["label"], r["load_s"], r["prompt_tokens"], r["median"]["ttft_s"],
             ratio(r["prompt_tokens"], r["median"]["ttft_s"]), r["median"]["decode_tok_s"],
             r["median"]["new_tokens"], r["peak_rss_mib"]] for r in ok]
    lines += [table(["variant", "load s", "prompt tok", "TTFT s", "prefill tok/s",
                     "decode tok/s", "new tok", "peak RSS MiB"], rows)]
    unpack = data.get("gguf_unpack", {})
    if unpack.get("converted"):
        lines.append(f"(transformers unpacked the GGUF once before these runs: "
                     f"{unpack['seconds']:.0f} s, cached in {unpack['checkpoint']})")
    lines.append("")
    for r in results.values():
        if "error" in r:
            lines.append(f"{r['variant']} FAILED: {r['error']}")
    ratios = data["summary"]["ratios"]
    lines += [table(["ratio", "value"], [
        ["llama.cpp decode / transformers fp32 decode", ratios["llamacpp_decode_over_fp32"]],
        ["transformers int8 decode / fp32 decode", ratios["int8_decode_over_fp32"]],
        ["transformers int8 TTFT / fp32 TTFT", ratios["int8_ttft_over_fp32"]]]), ""]
    reuse_rows = [[r["label"], f"{r['reuse']['turn1_tokens']} -> {r['reuse']['turn2_tokens']}",
                   r["reuse"]["median_warm_ttft_s"], r["reuse"]["median_cold_ttft_s"],
                   ratio(r["reuse"]["median_cold_ttft_s"], r["reuse"]["median_warm_ttft_s"])]
                  for r in ok]
    lines += ["prefix reuse: TTFT of a second turn that extends the first, right after the "
              "first (warm) vs. with a fresh run tag (cold)",
              table(["variant", "prompt tok (turn 1 -> 2)", "warm TTFT s", "cold TTFT s",
                     "cold / warm"], reuse_rows), ""]
    lines += [table(["target", "value", "result"],
                    [[t["target"], t["value"], verdict(t)] for t in data["summary"]["targets"]])]
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--runs", type=int, default=5, help="timed runs per variant (median)")
    parser.add_argument("--ctx-tokens", type=int, default=1024, help="prompt length in tokens")
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--variants", default=",".join(VARIANTS),
                        help=f"comma-separated, from: {', '.join(VARIANTS)}")
    parser.add_argument("--model", help="GGUF file (default: the packaged SmolLM2 Q4_1)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = set(args.variants) - set(VARIANTS)
    if unknown or not args.variants:
        parser.error(f"unknown variants {sorted(unknown)}; choose from {list(VARIANTS)}")
    if args.model is None:
        from agent.llm.packaged import packaged_gguf

        args.model = str(packaged_gguf())
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        job = prepare_gguf if args.worker == "prepare" else (
            lambda a: measure_variant(args.worker, a))
        Path(args.worker_out).write_text(json.dumps(job(args)))
        return 0
    data: dict[str, Any] = {
        "machine": machine_info(PACKAGES),
        "inputs": {"model": Path(args.model).name, "threads": args.threads, "runs": args.runs,
                   "ctx_tokens": args.ctx_tokens, "new_tokens": args.new_tokens},
        "results": {},
    }
    if any(v.startswith("hf-") for v in args.variants):
        print("unpacking the GGUF for transformers (cached after the first time)...",
              file=sys.stderr)
        data["gguf_unpack"] = run_worker("prepare", args)
    for variant in args.variants:
        print(f"measuring {VARIANTS[variant]} ({args.runs} runs)...", file=sys.stderr)
        data["results"][variant] = run_worker(variant, args)
    data["summary"] = summarize(data["results"], args)
    print(report(data))
    print(f"\nresults written to {write_results('llm_speed', data)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
