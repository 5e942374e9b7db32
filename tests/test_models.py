"""Any model in one line: llm.model references resolved (agent/llm/model_ref.py), `congming models`
and what doctor says about the model and the answerer. No test reaches the network: the Hugging
Face path runs against a local cache laid out as huggingface_hub lays it, with HF_HUB_OFFLINE=1."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.doctor import run_checks
from agent.errors import ConfigError, ModelNotFoundError
from agent.llm.llamacpp import LlamaCppLLM
from agent.llm.model_ref import HubFile, parse_hub_reference, resolve_gguf
from agent.llm.packaged import packaged_gguf
from agent.settings import Settings

runner = CliRunner()
REF = "hf:acme/tiny-GGUF/tiny-Q4_K_M.gguf"


def gguf(path: Path, size: int = 1024) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"GGUF" + b"\0" * (size - 4))
    return path


def hub_cache(root: Path, repo_id: str = "acme/tiny-GGUF", filename: str = "tiny-Q4_K_M.gguf",
              revision: str = "0123456789abcdef0123456789abcdef01234567") -> Path:
    """A cache folder as huggingface_hub writes it: blobs, snapshots/<rev>/FILE -> blob, refs/main."""
    repo = root / f"models--{repo_id.replace('/', '--')}"
    blob = gguf(repo / "blobs" / "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(revision)
    snapshot_file = repo / "snapshots" / revision / filename
    snapshot_file.parent.mkdir(parents=True)
    snapshot_file.symlink_to(blob)
    return snapshot_file


@pytest.fixture
def offline_hub(tmp_path, monkeypatch):
    """An empty Hugging Face cache at tmp_path/hf-home/hub, offline."""
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    cache = tmp_path / "hf-home" / "hub"
    cache.mkdir(parents=True)
    return cache


# -- resolution --------------------------------------------------------------------------


def test_an_empty_reference_is_the_packaged_model(tmp_path):
    assert resolve_gguf(None, tmp_path) == packaged_gguf()
    assert resolve_gguf("  ", tmp_path) == packaged_gguf()


def test_a_path_a_folder_and_a_name_in_the_models_folder(tmp_path, monkeypatch):
    models = tmp_path / "models"
    file = gguf(tmp_path / "elsewhere" / "big.gguf")
    assert resolve_gguf(str(file), models) == file
    assert resolve_gguf(str(file.parent), models) == file  # a folder with one GGUF
    in_folder = gguf(models / "qwen" / "qwen-1.5b.gguf")
    monkeypatch.chdir(tmp_path)
    assert resolve_gguf("qwen/qwen-1.5b.gguf", models) == in_folder
    monkeypatch.setenv("HOME", str(tmp_path))
    assert resolve_gguf("~/elsewhere/big.gguf", models) == file


def test_a_missing_file_says_where_it_looked_and_what_to_write(tmp_path):
    with pytest.raises(ModelNotFoundError) as error:
        resolve_gguf(str(tmp_path / "missing.gguf"), tmp_path / "models")
    assert "does not exist" in str(error.value) and "hf:ORG/REPO/FILE.gguf" in str(error.value)
    with pytest.raises(ModelNotFoundError, match=r"llm\.backend = openai"):
        resolve_gguf("llama3.2", tmp_path / "models")  # a server model name on llamacpp
    gguf(tmp_path / "two" / "a.gguf"), gguf(tmp_path / "two" / "b.gguf")
    with pytest.raises(ModelNotFoundError, match=r"2 \.gguf files"):
        resolve_gguf(str(tmp_path / "two"), tmp_path / "models")


@pytest.mark.parametrize("bad", ["hf:acme", "hf:acme/tiny-GGUF", "hf:acme//x.gguf",
                                 "hf:acme/tiny-GGUF/../x.gguf", "hf:acme/tiny-GGUF/model.safetensors"])
def test_a_bad_hub_reference_is_a_config_error(bad, tmp_path):
    with pytest.raises(ConfigError, match=r"hf:ORG/REPO/FILE\.gguf|not a \.gguf"):
        resolve_gguf(bad, tmp_path)


def test_a_hub_reference_names_repo_and_file():
    ref = parse_hub_reference("hf:acme/tiny-GGUF/q4/tiny.gguf")
    assert ref == HubFile("acme/tiny-GGUF", "q4/tiny.gguf")
    assert ref.url == "https://huggingface.co/acme/tiny-GGUF/resolve/main/q4/tiny.gguf"


def test_hub_reference_offline_from_the_hugging_face_cache(tmp_path, offline_hub):
    cached = hub_cache(offline_hub)
    assert resolve_gguf(REF, tmp_path / "models") == cached


def test_hub_cache_found_through_hf_hub_cache_too(tmp_path, monkeypatch):
    cached = hub_cache(tmp_path / "elsewhere")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert resolve_gguf(REF, tmp_path / "models") == cached


def test_hub_reference_prefers_the_copy_in_the_models_folder(tmp_path, offline_hub):
    hub_cache(offline_hub)
    local = gguf(tmp_path / "models" / "acme" / "tiny-GGUF" / "tiny-Q4_K_M.gguf")
    assert resolve_gguf(REF, tmp_path / "models") == local


def test_hub_reference_offline_and_not_cached_says_what_to_do(tmp_path, offline_hub):
    models = tmp_path / "models"
    with pytest.raises(ModelNotFoundError) as error:
        resolve_gguf(REF, models)
    message = str(error.value)
    assert "HF_HUB_OFFLINE" in message
    assert "hf download acme/tiny-GGUF tiny-Q4_K_M.gguf" in message
    assert "https://huggingface.co/acme/tiny-GGUF/resolve/main/tiny-Q4_K_M.gguf" in message
    assert str(models / "acme" / "tiny-GGUF" / "tiny-Q4_K_M.gguf") in message


def test_hub_reference_is_downloaded_once_into_the_models_folder(tmp_path, offline_hub, monkeypatch):
    import huggingface_hub

    monkeypatch.delenv("HF_HUB_OFFLINE")
    calls = []

    def fake_download(repo_id, filename, *, local_dir, **kwargs):  # what the hub would write
        calls.append((repo_id, filename, local_dir))
        return str(gguf(Path(local_dir) / filename))

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", fake_download)
    models = tmp_path / "models"
    first = resolve_gguf(REF, models)
    assert first == models / "acme" / "tiny-GGUF" / "tiny-Q4_K_M.gguf"
    assert resolve_gguf(REF, models) == first
    assert calls == [("acme/tiny-GGUF", "tiny-Q4_K_M.gguf", str(models / "acme" / "tiny-GGUF"))]
    with pytest.raises(ModelNotFoundError, match="not downloaded yet"):
        resolve_gguf("hf:acme/other-GGUF/x.gguf", models, download=False)
    assert len(calls) == 1


def test_llamacpp_backend_resolves_through_the_settings_models_folder(tmp_path, clean_env):
    settings = Settings.load(data_dir=tmp_path / "data", llm={"model": "missing.gguf"})
    assert settings.llm.models_dir == tmp_path / "data" / "models"
    llm = LlamaCppLLM.from_settings(settings.llm)
    assert llm.models_dir == tmp_path / "data" / "models"
    with pytest.raises(ModelNotFoundError, match=r"missing\.gguf"):
        llm.open()
    custom = Settings.load(data_dir=tmp_path / "data", llm={"models_dir": str(tmp_path / "m")})
    assert custom.llm.models_dir == tmp_path / "m"


# -- congming models ---------------------------------------------------------------------


def models_rows(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("│")]


def test_models_lists_packaged_folder_and_cache_and_marks_the_one_in_use(settings, cli_env, tmp_path,
                                                                          offline_hub):
    gguf(tmp_path / "data" / "models" / "qwen-1.5b.gguf", 2_000_000)
    hub_cache(offline_hub)
    result = runner.invoke(app, ["models"])
    assert result.exit_code == 0, result.output
    rows = models_rows(result.stdout)
    packaged = next(r for r in rows if "packaged" in r)
    assert "*" in packaged and "SmolLM2-135M-Instruct" in packaged and "MB" in packaged
    folder = next(r for r in rows if "models folder" in r)
    assert "qwen-1.5b.gguf" in folder and "2 MB" in folder and "*" not in folder
    assert any("hf cache" in r and REF in r for r in rows)
    assert "in use: llamacpp backend" in result.stdout

    cli_env.setenv("CONGMING_LLM__MODEL", "qwen-1.5b.gguf")
    rows = models_rows(runner.invoke(app, ["models"]).stdout)
    assert "*" in next(r for r in rows if "qwen-1.5b.gguf" in r)
    assert "*" not in next(r for r in rows if "packaged" in r)

    cli_env.setenv("CONGMING_LLM__MODEL", REF)
    result = runner.invoke(app, ["models"])
    assert result.exit_code == 0
    assert "*" in next(r for r in models_rows(result.stdout) if REF in r)


def test_models_reports_a_configured_model_that_is_missing(settings, cli_env, offline_hub):
    cli_env.setenv("CONGMING_LLM__MODEL", "hf:acme/absent-GGUF/absent.gguf")
    result = runner.invoke(app, ["models"])
    assert result.exit_code == 1
    assert "hf download acme/absent-GGUF absent.gguf" in result.stderr
    assert "Traceback" not in result.output


def test_models_lists_an_openai_server_and_marks_its_model(settings, cli_env, openai_stub):
    openai_stub.models = ["qwen2.5:7b", "llama3.2"]
    cli_env.setenv("CONGMING_LLM__BACKEND", "openai")
    cli_env.setenv("CONGMING_LLM__BASE_URL", openai_stub.base_url)
    cli_env.setenv("CONGMING_LLM__MODEL", "llama3.2")
    result = runner.invoke(app, ["models"])
    assert result.exit_code == 0, result.output
    rows = models_rows(result.stdout)
    assert "*" in next(r for r in rows if "llama3.2" in r)
    assert "*" not in next(r for r in rows if "qwen2.5:7b" in r)
    assert "in use: openai backend, llama3.2" in result.stdout

    cli_env.setenv("CONGMING_LLM__MODEL", "mistral")
    result = runner.invoke(app, ["models"])
    assert result.exit_code == 1 and "does not list 'mistral'" in result.stderr


def test_models_reports_a_server_that_is_down(settings, cli_env):
    with socket.socket() as sock:  # a port nothing listens on once this closes
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cli_env.setenv("CONGMING_LLM__BACKEND", "openai")
    cli_env.setenv("CONGMING_LLM__BASE_URL", f"http://127.0.0.1:{port}/v1")
    result = runner.invoke(app, ["models"])
    assert result.exit_code == 1
    assert f"server http://127.0.0.1:{port}/v1 did not list its models" in result.stderr
    assert "packaged" in result.stdout  # the rest is still listed
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)


# -- doctor ------------------------------------------------------------------------------


def by_name(checks):
    return {check.name: check for check in checks}


def test_doctor_names_the_resolved_model_and_the_reader(settings):
    checks = by_name(run_checks(settings))
    assert str(packaged_gguf()) in checks["llm model (llamacpp, packaged)"].detail
    answers = checks["answers written by"]
    assert answers.status == "ok" and "reader" in answers.detail and "auto" in answers.detail


def test_doctor_with_a_hub_model_from_the_cache_says_the_llm_writes(settings, offline_hub):
    cached = hub_cache(offline_hub)
    settings.llm.model = REF
    checks = by_name(run_checks(settings))
    model = checks["llm model (llamacpp)"]
    assert model.status == "ok" and REF in model.detail and str(cached) in model.detail
    assert "the LLM" in checks["answers written by"].detail


def test_doctor_hub_model_not_downloaded_offline_fails_with_the_command(settings, offline_hub):
    settings.llm.model = REF
    check = by_name(run_checks(settings))["llm model (llamacpp)"]
    assert check.status == "fail" and "hf download acme/tiny-GGUF" in check.fix


def test_doctor_answerer_settings(settings):
    settings.agent.answerer = "llm"
    answers = by_name(run_checks(settings))["answers written by"]
    assert answers.status == "warn" and "agent.answerer = llm" in answers.detail
    settings.agent.answerer = "auto"
    settings.llm.small = True
    settings.llm.backend = "fake"
    assert "reader" in by_name(run_checks(settings))["answers written by"].detail


def test_doctor_openai_names_the_server_model_or_reports_it_down(settings, openai_stub):
    settings.llm.backend = "openai"
    settings.llm.base_url = openai_stub.base_url
    check = by_name(run_checks(settings))["llm backend"]
    assert check.status == "ok" and "stub-model" in check.detail
    openai_stub.stop()
    check = by_name(run_checks(settings))["llm backend"]
    assert check.status == "fail" and "did not list its models" in check.fix
