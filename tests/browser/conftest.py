"""Browser tests: `congming ui` runs for real on 127.0.0.1 (scripted fake model, hash embedder, a
temporary data dir, two password users) and Playwright drives Debian's Chromium against it.
Screenshots go to tests/artifacts/ (kept by CI, ignored by git). Never downloads a browser."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CONGMING_TEST_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
USERS = {"alice": "alice-password", "bob": "bob-password"}
REPLY = ("Reasoning: Evidence [1] says the Zephyr lamp was invented by Mira Okafor in 1931. "
         "Answer: The Zephyr lamp was invented by Mira Okafor in 1931 [1].")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class UIServer:
    """`congming ui` in its own process group, started and stopped by the tests."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / "ui.log"
        self.process: subprocess.Popen | None = None
        script = workdir / "replies.json"
        script.write_text(json.dumps([REPLY]), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CONGMING_", "CHAINLIT_"))}
        env.update({"CONGMING_DATA_DIR": str(workdir / "data"), "CONGMING_LLM__BACKEND": "fake",
                    "CONGMING_LLM__MODEL": str(script), "CONGMING_LLM__THREADS": "1",
                    "CONGMING_EMBEDDER__BACKEND": "hash", "CONGMING_UI__PASSWORDS": json.dumps(USERS),
                    "CONGMING_UI__LANGUAGE": "en-US", "HF_HUB_OFFLINE": "1"})
        self.env = env

    def start(self) -> None:
        with self.log.open("a", encoding="utf-8") as log:
            command = [sys.executable, "-m", "agent.cli", "ui", "--port", str(self.port)]
            self.process = subprocess.Popen(command, cwd=self.workdir, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"`congming ui` exited early:\n{self.log.read_text(encoding='utf-8')}")
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"`congming ui` did not answer in time:\n{self.log.read_text(encoding='utf-8')}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)  # the group this test started: congming + chainlit
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self._listening():  # Chainlit itself may take a moment
            time.sleep(0.2)

    def _listening(self) -> bool:
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory):
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"No Chromium at {CHROMIUM}: apt-get install -y chromium (as .ci/run does).")
    pytest.importorskip("chainlit")
    server = UIServer(tmp_path_factory.mktemp("congming-ui"))
    server.start()
    yield server
    server.stop()
    (ARTIFACTS / "logs").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(server.log, ARTIFACTS / "logs" / "ui-server.log")


@pytest.fixture(scope="module")
def chromium():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield browser
        browser.close()


@pytest.fixture
def shots(request):
    """``shots(page, "name")`` saves a screenshot as tests/artifacts/<test>-<n>-<name>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 100))

    def shoot(page, name: str) -> Path:
        path = ARTIFACTS / f"{request.node.name}-{next(counter):02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return shoot
