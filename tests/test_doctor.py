import pytest

from agent.doctor import run_checks


def by_name(checks):
    return {check.name: check for check in checks}


def test_doctor_flags_a_missing_model_with_a_fix(settings, tmp_path):
    settings.llm.model = str(tmp_path / "missing.gguf")
    check = by_name(run_checks(settings))["llm model (llamacpp)"]
    assert check.status == "fail" and "does not exist" in check.detail


def test_doctor_flags_an_unknown_backend(settings):
    settings.llm.backend = "nonsense"
    check = by_name(run_checks(settings))["llm backend"]
    assert check.status == "fail" and "CONGMING_LLM__BACKEND" in check.fix


def test_doctor_fake_backend_runs_end_to_end(settings):
    settings.llm.backend = "fake"
    settings.embedder.backend = "hash"
    checks = by_name(run_checks(settings, load=True))
    assert checks["llm generates"].status == "ok"
    assert checks["embedder embeds"].status == "ok"


@pytest.mark.model
def test_doctor_finds_and_runs_the_packaged_models(settings):
    checks = by_name(run_checks(settings, load=True))
    assert checks["llm model (llamacpp, packaged)"].status == "ok"
    assert checks["embedder model (packaged)"].status == "ok"
    assert checks["llm generates"].status == "ok", checks["llm generates"].fix
    assert checks["embedder embeds"].status == "ok"
