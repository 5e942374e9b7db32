"""Files dropped into the chat become documents: each is kept under its own name in the user's
upload folder, then ingested with a progress step and one line per file (errors included)."""

from __future__ import annotations

import asyncio
import hashlib
import queue
import re
import shutil
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import chainlit as cl
from chainlit.utils import utc_now

from agent.core import Agent
from graph.ingest import FileOutcome, IngestReport
from ui.present import md_escape
from ui.render import current_run_id
from ui.text import UIText

_UNSAFE = re.compile(r"[^\w.\- ()]+")


def safe_name(name: str) -> str:
    """A file name that stays inside its folder: no path, no odd characters, not hidden."""
    base = Path(name.replace("\\", "/")).name
    cleaned = _UNSAFE.sub("_", base).strip(" .") or "upload"
    stem, dot, suffix = cleaned.rpartition(".")
    if dot and len(cleaned) > 120:
        cleaned = f"{stem[: 119 - len(suffix)]}.{suffix}"
    return cleaned[:120]


def upload_folder(data_dir: Path, user_id: str) -> Path:
    """Where a user's uploads are kept: one folder per user (named by a hash of the user id)."""
    return data_dir / "uploads" / hashlib.sha256(user_id.encode("utf-8")).hexdigest()[:16]


def keep_upload(name: str, path: str | Path, folder: Path) -> Path:
    """Copy an uploaded file into ``folder`` under its own name (the same name replaces it)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / safe_name(name)
    shutil.copyfile(path, target)
    return target


async def run_with_progress(work: Callable[[Callable[[Any], None]], Any],
                            on_item: Callable[[Any], Awaitable[None]], *, poll_s: float = 0.2) -> Any:
    """Run ``work(report)`` in a thread; each ``report(item)`` it makes is awaited as ``on_item(item)``
    on this loop, in order, while it runs. Returns what ``work`` returned (or raises what it raised).

    The loop polls a thread-safe queue instead of being woken from the thread: under Chainlit's
    nested event loop (nest_asyncio) such wake-ups were seen to get lost during the first upload."""
    items: queue.SimpleQueue = queue.SimpleQueue()
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = work(items.put)
        except BaseException as exc:  # re-raised on the loop
            outcome["error"] = exc

    thread = threading.Thread(target=run, name="congming-ui-work", daemon=True)
    thread.start()
    while True:
        alive = thread.is_alive()
        while not items.empty():
            await on_item(items.get_nowait())
        if not alive:
            break
        await asyncio.sleep(poll_s)
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def outcome_line(outcome: FileOutcome, name: str, text: UIText) -> str:
    if outcome.status == "failed":
        return "❌ " + text("ingest_file_failed", name=md_escape(name), error=md_escape(outcome.error))
    return "✅ " + text("ingest_file", name=md_escape(name), status=text(f"status_{outcome.status}"),
                        chunks=outcome.chunks)


async def ingest_uploads(agent: Agent, files: list[tuple[str, Path]], *, user_id: str, text: UIText,
                         lock: Any) -> IngestReport:
    """Ingest ``(shown name, path)`` files into the user's knowledge, showing progress in a step."""
    names = {str(path.resolve()): name for name, path in files}
    step = cl.Step(name=text("ingest_step"), type="tool", show_input=False, parent_id=current_run_id())
    step.start = utc_now()
    await step.stream_token(text("ingest_start", files=len(files)), is_sequence=True)  # saved at the end
    lines: list[str] = []

    async def show(outcome: FileOutcome) -> None:
        lines.append(outcome_line(outcome, names.get(outcome.source, Path(outcome.source).name), text))
        progress = "\n".join([text("ingest_progress", done=len(lines), files=len(files)), "", *lines])
        await step.stream_token(progress, is_sequence=True)

    def work(report: Callable[[FileOutcome], None]) -> IngestReport:
        with lock:
            return agent.ingest([path for _, path in files], user_id=user_id, on_file=report)

    report = await run_with_progress(work, show)
    step.end = utc_now()
    await step.update()
    ok = len(report.outcomes) - len(report.failed)
    summary = [text("ingest_done", ok=ok, files=len(files), chunks=report.chunks)]
    if report.failed:
        summary.append(text("ingest_some_failed", failed=len(report.failed)))
        summary += [f"- {line}" for line in lines if line.startswith("❌")]
    await cl.Message(content="\n\n".join(summary)).send()
    return report
