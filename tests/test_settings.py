import pytest

from agent.errors import ConfigError
from agent.settings import Settings


def test_defaults_pick_the_packaged_local_stack(clean_env):
    settings = Settings.load()
    assert settings.llm.backend == "llamacpp"
    assert settings.llm.model is None
    assert settings.llm.n_batch == 512
    assert settings.embedder.backend == "sentence-transformers"
    assert settings.data_dir.name == "congming"


def test_environment_overrides_nested_values(clean_env):
    clean_env.setenv("CONGMING_LLM__BACKEND", "openai")
    clean_env.setenv("CONGMING_LLM__THREADS", "3")
    clean_env.setenv("CONGMING_DATA_DIR", "/tmp/somewhere")
    settings = Settings.load()
    assert settings.llm.backend == "openai"
    assert settings.llm.threads == 3
    assert str(settings.data_dir) == "/tmp/somewhere"


def test_toml_file_is_read_and_environment_wins_over_it(clean_env, tmp_path):
    config = tmp_path / "my.toml"
    config.write_text('[llm]\nbackend = "fake"\nthreads = 2\n[embedder]\nbackend = "hash"\n')
    clean_env.setenv("CONGMING_LLM__THREADS", "5")
    settings = Settings.load(config)
    assert settings.llm.backend == "fake"
    assert settings.embedder.backend == "hash"
    assert settings.llm.threads == 5


def test_congming_toml_in_the_working_directory_is_found(clean_env, tmp_path):
    (tmp_path / "congming.toml").write_text('[llm]\nmax_tokens = 77\n')
    assert Settings.load().llm.max_tokens == 77


def test_explicit_values_win_over_everything(clean_env):
    clean_env.setenv("CONGMING_LLM__MAX_TOKENS", "9")
    assert Settings.load(llm={"max_tokens": 11}).llm.max_tokens == 11


def test_missing_config_file_is_a_clear_error(clean_env):
    with pytest.raises(ConfigError, match="does not exist"):
        Settings.load("nope.toml")


@pytest.mark.parametrize("bad", [{"llm": {"threads": 0}}, {"llm": {"temperature": 5}},
                                 {"unknown_key": 1}, {"llm": {"quantize": "3bit"}}])
def test_invalid_values_are_config_errors(clean_env, bad):
    with pytest.raises(ConfigError, match="Invalid settings"):
        Settings.load(**bad)
