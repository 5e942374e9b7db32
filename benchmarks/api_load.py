"""HTTP API under load: N concurrent chat sessions against `congming serve` on loopback.

The server runs in its own process (the real app under uvicorn, one worker); this process
is the load: N sessions (default 8, 32, 64), each its own user of one multi-user key, each
with its own document "The secret code is <6 digits>". Every session asks the same question
for --turns turns, half of them streamed, so a reply can only hold the right code if
retrieval, working memory and the reply stayed with the right user. Measured per N:
throughput, p50/p95 latency, time to first streamed token, errors (target 0), replies
attributed to the wrong user or holding another user's code (target 0), and lost turns
(no complete reply with its own turn id; target 0).

--llm fake: a scripted model that answers from the evidence it is given (measures the
server, retrieval and verification, not the model; hash embedder). --llm packaged: the
packaged SmolLM2 + MiniLM stack. Run from the repository root:

    python benchmarks/api_load.py --llm fake
    python benchmarks/api_load.py --llm packaged --sessions 8 --turns 2
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import describe_machine, fmt, machine_info, median, percentile, table, write_results

ROOT = Path(__file__).resolve().parent.parent
KEY = "sk-bench-load-0123456789"
QUESTION = "What is the secret code?"
PACKAGES = ("fastapi", "uvicorn", "httpx", "llama_cpp_python")


# -- the server process ------------------------------------------------------------------

def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from agent.core import Agent
    from agent.server import create_app
    from agent.settings import Settings

    fake = args.llm == "fake"
    settings = Settings.load(
        data_dir=args.data_dir, llm={"threads": args.threads, "max_tokens": args.max_tokens},
        embedder={"backend": "hash" if fake else "sentence-transformers"},
        server={"api_keys": [{"key": KEY, "user": "bench", "multi_user": True}]})
    llm = None
    if fake:
        from agent.llm.fake import FakeLLM, evidence_reply

        llm = FakeLLM([evidence_reply])
    app = create_app(settings, Agent(settings, llm=llm))
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", workers=1,
                timeout_keep_alive=settings.server.keep_alive_s)
    return 0


def start_server(args: argparse.Namespace, data_dir: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": str(args.threads),
           "TOKENIZERS_PARALLELISM": "false"}
    command = [sys.executable, str(Path(__file__).resolve()), "--serve", "--llm", args.llm,
               "--port", str(port), "--data-dir", str(data_dir), "--threads", str(args.threads),
               "--max-tokens", str(args.max_tokens)]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    return process, f"http://127.0.0.1:{port}"


async def wait_ready(base_url: str, process: subprocess.Popen, timeout: float = 300) -> float:
    import httpx

    started = time.perf_counter()
    async with httpx.AsyncClient() as client:
        while time.perf_counter() - started < timeout:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited with code {process.returncode}; see its log above")
            try:
                if (await client.get(f"{base_url}/health")).status_code == 200:
                    return time.perf_counter() - started
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"the server was not ready after {timeout:.0f} s")


# -- the load ------------------------------------------------------------------------------

@dataclass
class TurnResult:
    session: int
    seconds: float
    first_token: float | None  # streamed turns: time to the first reasoning or answer text
    error: str = ""
    wrong_user: bool = False
    own_code: bool = False
    turn_id: str = ""
    action: str = ""
    content: str = ""


def _check(reply: dict[str, Any], content: str, user: str, session_id: str, codes: list[str],
           index: int, result: TurnResult) -> None:
    info = reply.get("congming") or {}
    others = [code for i, code in enumerate(codes) if i != index and code in content]
    result.wrong_user = info.get("user") != user or info.get("session_id") != session_id or bool(others)
    result.own_code = codes[index] in content
    result.turn_id = info.get("turn_id", "")
    result.action, result.content = info.get("action", ""), content


async def _plain_turn(client: Any, body: dict[str, Any], headers: dict[str, str]) -> tuple[dict, str, None]:
    response = await client.post("/v1/chat/completions", json=body, headers=headers)
    if response.status_code != 200:
        raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")
    reply = response.json()
    return reply, reply["choices"][0]["message"]["content"], None


async def _streamed_turn(client: Any, body: dict[str, Any], headers: dict[str, str],
                         started: float) -> tuple[dict, str, float | None]:
    content, first, final = [], None, None
    async with client.stream("POST", "/v1/chat/completions", json={**body, "stream": True},
                             headers=headers) as response:
        if response.status_code != 200:
            raise RuntimeError(f"HTTP {response.status_code}: {(await response.aread())[:200]!r}")
        async for line in response.aiter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            chunk = json.loads(line[6:])
            if "error" in chunk:
                raise RuntimeError(f"stream error: {chunk['error']['message'][:200]}")
            for choice in chunk.get("choices", []):
                delta = choice["delta"]
                if first is None and (delta.get("reasoning_content") or delta.get("content")):
                    first = time.perf_counter() - started
                content.append(delta.get("content") or "")
                if choice.get("finish_reason") == "stop":
                    final = chunk
    if final is None:
        raise RuntimeError("the stream ended without a final chunk")
    return final, "".join(content), first


async def run_session(client: Any, index: int, level: str, codes: list[str], turns: int,
                      deadline: float) -> list[TurnResult]:
    user, session_id = f"{level}-u{index}", f"s{index}"
    headers = {"X-Session-Id": session_id}
    body = {"model": "congming", "user": user, "messages": [{"role": "user", "content": QUESTION}]}
    results = []
    for _ in range(turns):
        if time.perf_counter() > deadline:
            break
        started = time.perf_counter()
        result = TurnResult(index, 0.0, None)
        try:
            if index % 2:
                reply, content, _ = await _plain_turn(client, body, headers)
            else:
                reply, content, result.first_token = await _streamed_turn(client, body, headers, started)
            _check(reply, content, f"bench:{user}", session_id, codes, index, result)
        except Exception as exc:  # counted as an error, the run goes on
            mode = "plain" if index % 2 else "streamed"
            result.error = f"{mode} turn of session {index}: {type(exc).__name__}: {exc}"
        result.seconds = time.perf_counter() - started
        results.append(result)
    return results


async def ingest_codes(client: Any, level: str, codes: list[str]) -> None:
    gate = asyncio.Semaphore(8)

    async def one(index: int) -> None:
        async with gate:
            text = f"The secret code is {codes[index]}. It opens the blue door on floor {index % 9 + 1}."
            response = await client.post("/v1/documents", params={"user": f"{level}-u{index}"},
                                         json={"text": text, "source": "code.md", "title": "Code"})
            response.raise_for_status()

    await asyncio.gather(*(one(i) for i in range(len(codes))))


async def run_level(base_url: str, sessions: int, args: argparse.Namespace, rng: random.Random,
                    used: set[str]) -> dict[str, Any]:
    import httpx

    level = f"n{sessions}"
    codes = []
    while len(codes) < sessions:
        code = str(rng.randrange(100_000, 1_000_000))
        if code not in used:
            used.add(code)
            codes.append(code)
    limits = httpx.Limits(max_connections=sessions + 4, max_keepalive_connections=sessions + 4)
    async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {KEY}"},
                                 timeout=args.request_timeout, limits=limits) as client:
        await ingest_codes(client, level, codes)
        started = time.perf_counter()
        deadline = started + args.max_seconds
        batches = await asyncio.gather(*(run_session(client, i, level, codes, args.turns, deadline)
                                         for i in range(sessions)))
        wall = time.perf_counter() - started
    return summarise(sessions, [r for batch in batches for r in batch], wall, args.turns)


def summarise(sessions: int, results: list[TurnResult], wall: float, turns: int) -> dict[str, Any]:
    ok = [r for r in results if not r.error]
    ids = [r.turn_id for r in ok if r.turn_id]
    latencies = [r.seconds * 1000 for r in ok]
    firsts = [r.first_token * 1000 for r in ok if r.first_token is not None]
    return {
        "sessions": sessions, "planned": sessions * turns, "attempted": len(results),
        "completed": len(ok), "skipped_for_time": sessions * turns - len(results),
        "wall_s": round(wall, 3), "turns_per_s": round(len(ok) / wall, 3) if wall > 0 else None,
        "p50_ms": median(latencies), "p95_ms": percentile(latencies, 95),
        "first_token_p50_ms": median(firsts),
        "errors": len(results) - len(ok), "error_examples": sorted({r.error for r in results if r.error})[:3],
        "wrong_user": sum(r.wrong_user for r in ok),
        "lost": len(results) - len(set(ids)),
        "own_code_found": sum(r.own_code for r in ok),
        "actions": dict(Counter(r.action for r in ok)),
        "example_replies": [r.content[:200] for r in ok[:3]],
    }


# -- report ---------------------------------------------------------------------------------

def report(data: dict[str, Any]) -> str:
    inputs, results = data["inputs"], data["results"]
    base = results[0]["turns_per_s"] if results and results[0]["turns_per_s"] else None
    lines = [f"# HTTP API load ({inputs['llm']} LLM)", *describe_machine(data["machine"]),
             f"inputs: {inputs['turns']} turns per session (even sessions streamed), one user and one "
             f"document per session, loopback, server: 1 uvicorn worker, {inputs['threads']} thread(s), "
             f"max_tokens {inputs['max_tokens']}; at most {inputs['max_seconds']} s per level; server ready "
             f"in {inputs['startup_s']:.1f} s", ""]
    rows = [[r["sessions"], f"{r['completed']}/{r['planned']}", fmt(r["wall_s"], 1), fmt(r["turns_per_s"], 2),
             f"{r['turns_per_s'] / base:.2f}x" if base and r["turns_per_s"] else "-", fmt(r["p50_ms"], 0),
             fmt(r["p95_ms"], 0), fmt(r["first_token_p50_ms"], 0), r["errors"], r["wrong_user"], r["lost"],
             f"{r['own_code_found']}/{r['completed']}"] for r in results]
    lines.append(table(["sessions", "turns done", "wall s", "turns/s", "vs first", "p50 ms", "p95 ms",
                        "stream first token p50 ms", "errors", "wrong user", "lost", "own code in reply"],
                       rows))
    for r in results:
        actions = ", ".join(f"{k} {v}" for k, v in sorted(r["actions"].items()))
        lines.append(f"N={r['sessions']}: verification actions: {actions}; e.g. {r['example_replies'][:1]}")
        for example in r["error_examples"]:
            lines.append(f"error (N={r['sessions']}): {example}")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--llm", choices=("fake", "packaged"), default="fake")
    parser.add_argument("--sessions", type=int, nargs="+", default=[8, 32, 64])
    parser.add_argument("--turns", type=int, default=None, help="Turns per session (fake 8, packaged 2).")
    parser.add_argument("--max-seconds", type=float, default=300.0, help="Time budget per level.")
    parser.add_argument("--request-timeout", type=float, default=600.0)
    parser.add_argument("--threads", type=int, default=1, help="Server inference threads.")
    parser.add_argument("--max-tokens", type=int, default=128, help="Most new tokens per reply.")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=None, help="Results JSON (default results/api_load_LLM).")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.turns = args.turns or (8 if args.llm == "fake" else 2)
    if any(n < 1 or n > 256 for n in args.sessions) or args.turns < 1 or args.turns > 50:
        parser.error("sessions must be 1-256 and turns 1-50 (the load is bounded on purpose)")
    return args


async def measure(args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    process, base_url = start_server(args, data_dir)
    try:
        startup = await wait_ready(base_url, process)
        rng, used = random.Random(args.seed), set()
        results = [await run_level(base_url, n, args, rng, used) for n in args.sessions]
    finally:
        process.terminate()
        process.wait(timeout=60)
    return {"machine": machine_info(PACKAGES),
            "inputs": {"llm": args.llm, "sessions": args.sessions, "turns": args.turns,
                       "max_seconds": args.max_seconds, "threads": args.threads,
                       "max_tokens": args.max_tokens, "seed": args.seed, "startup_s": round(startup, 2)},
            "results": results}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.serve:
        return serve(args)
    with tempfile.TemporaryDirectory(prefix="api-load-") as scratch:
        data = asyncio.run(measure(args, Path(scratch)))
    print(report(data))
    path = (write_results(args.out.stem, data, args.out.parent) if args.out
            else write_results(f"api_load_{args.llm}", data))
    print(f"\nresults written to {path}")
    bad = sum(r["errors"] + r["wrong_user"] + r["lost"] for r in data["results"])
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
