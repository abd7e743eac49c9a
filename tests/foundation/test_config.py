from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tutor.cli import app
from tutor.config import config_file, load_settings, save_setting, setting_sources
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
