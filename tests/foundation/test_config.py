from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tutor.cli import app
from tutor.config import (
    DIRECT_ENV_PREFIXES,
    DIRECT_ENV_VARS,
    ENV_PREFIX,
    Settings,
    config_file,
    load_settings,
    save_setting,
    setting_sources,
    unknown_settings,
)
from tutor.errors import ConfigError


def test_env_overrides_file_and_default(monkeypatch: pytest.MonkeyPatch) -> None:
    save_setting("n_ctx", 8192)
    monkeypatch.setenv("TUTOR_MAX_TOKENS", "100")
    settings = load_settings()
    sources = setting_sources(settings)
    assert settings.n_ctx == 8192 and sources["n_ctx"][1].startswith("file ")
    assert settings.max_tokens == 100 and sources["max_tokens"][1] == "env TUTOR_MAX_TOKENS"
    assert sources["theme"][1] == "default"


def test_home_comes_from_env(isolated_home: Path) -> None:
    settings = load_settings()
    assert settings.home == isolated_home
    assert settings.db_path.parent == isolated_home


def test_invalid_values_give_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUTOR_N_CTX", "12")
    with pytest.raises(ConfigError, match="n_ctx"):
        load_settings()


def test_broken_toml_is_a_config_error() -> None:
    config_file().write_text("n_ctx = [", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings()


def test_save_rejects_unknown_and_invalid_settings() -> None:
    with pytest.raises(ConfigError, match="unknown setting"):
        save_setting("colour", "red")
    with pytest.raises(ConfigError):
        save_setting("grading_mode", "lenient")
    assert not config_file().exists()


def test_config_show_names_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUTOR_THEME", "nord")
    result = CliRunner().invoke(app, ["config", "show"])
    assert result.exit_code == 0, result.output
    line = next(ln for ln in result.output.splitlines() if ln.strip().startswith("theme"))
    assert "nord" in line and "env TUTOR_THEME" in line


def test_unknown_settings_in_file_and_env_are_reported_with_the_closest_name(monkeypatch: pytest.MonkeyPatch) -> None:
    config_file().write_text("n_thread = 1\nN_CTX = 8192\ntheme = 'nord'\n", encoding="utf-8")
    monkeypatch.setenv("TUTOR_MAX_TOKEN", "100")
    monkeypatch.setenv("TUTOR_DEBUG", "1")  # read by the CLI itself, not a setting
    monkeypatch.setenv("TUTOR_BENCH_T0", "0")
    unknown = {u.name: u for u in unknown_settings()}
    assert set(unknown) == {"n_thread", "N_CTX", "TUTOR_MAX_TOKEN"}
    assert str(unknown["n_thread"]).endswith("did you mean n_threads?")
    assert unknown["N_CTX"].suggestion == "n_ctx", "TOML keys are case-sensitive, so N_CTX has no effect"
    assert unknown["TUTOR_MAX_TOKEN"].fix == "rename TUTOR_MAX_TOKEN to TUTOR_MAX_TOKENS in the environment"
    assert load_settings().theme == "nord", "the file's valid keys still apply: a typo must not stop the app"


def test_every_tutor_env_var_the_code_reads_is_a_setting_or_known() -> None:
    import re

    import tutor

    root = Path(tutor.__file__).parent
    names = {m for f in root.rglob("*.py") for m in re.findall(r"TUTOR_[A-Z][A-Z0-9_]*", f.read_text("utf-8"))}
    settings = {ENV_PREFIX + name.upper() for name in Settings.model_fields}
    unexplained = {n for n in names - settings - DIRECT_ENV_VARS if not n.startswith(DIRECT_ENV_PREFIXES)}
    assert not unexplained, f"add these to DIRECT_ENV_VARS or make them settings: {unexplained}"


def test_config_show_and_doctor_warn_about_a_typo(monkeypatch: pytest.MonkeyPatch) -> None:
    from tutor.doctor import _config

    config_file().write_text("n_thread = 1\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["config", "show"])
    assert result.exit_code == 0
    assert "warning: unknown setting n_thread" in result.stderr and "did you mean n_threads?" in result.stderr
    shown = CliRunner().invoke(app, ["config", "show", "--json"])
    assert "did you mean n_threads?" in json.loads(shown.stdout)["unknown"][0]
    check = _config(load_settings(), False)
    assert not check.ok and "n_thread" in check.detail and check.fix.startswith("rename n_thread to n_threads in ")
    config_file().write_text("n_threads = 1\n", encoding="utf-8")
    assert _config(load_settings(), False).ok
