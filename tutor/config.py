"""Settings: defaults < TOML file in the platform config dir < ``TUTOR_*`` environment variables.

Data (progress DB, built index, assembled models) lives in the platform data dir unless ``TUTOR_HOME`` says
otherwise. ``tutor config show`` prints each effective value and where it came from.
"""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from tutor.errors import ConfigError

APP_NAME = "tutor"
ENV_PREFIX = "TUTOR_"


def config_file() -> Path:
    override = os.environ.get("TUTOR_CONFIG_FILE")
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", validate_default=True)

    home: Path = Field(
        default_factory=lambda: Path(platformdirs.user_data_dir(APP_NAME)),
        description="Data dir: progress DB, built index, assembled models.",
    )
    backend: Literal["llama_cpp", "openai", "fake"] = Field("llama_cpp", description="Chat model backend.")
    model: Path | None = Field(
        None, description="GGUF file for the llama_cpp backend (default: assembled Qwen2.5-Coder-1.5B)."
    )
    n_ctx: int = Field(
        4096, ge=4096, le=131072, description="Context window in tokens (at least 4096: feedback prompts need it)."
    )
    n_threads: int = Field(
        default_factory=lambda: os.cpu_count() or 1, ge=1, description="Threads for decode and prompt eval."
    )
    n_batch: int = Field(512, ge=8, description="Prompt-eval batch size.")
    max_tokens: int = Field(384, ge=16, le=8192, description="Cap on generated tokens per reply.")
    temperature: float = Field(0.2, ge=0.0, le=2.0, description="Sampling temperature for tutor replies.")
    openai_base_url: str = Field("http://127.0.0.1:8080/v1", description="Base URL of an OpenAI-compatible server.")
    openai_api_key: str = Field("", description="API key for the OpenAI-compatible server, if it needs one.")
    openai_model: str = Field("local", description="Model name sent to the OpenAI-compatible server.")
    grading_mode: Literal["fast", "hybrid", "llm"] = Field("fast", description="How free-text answers are graded.")
    corpus_dir: Path | None = Field(None, description="Corpus folder (default: the one shipped with tutor).")
    embedder_runtime: Literal["onnx", "torch"] = Field(
        "onnx", description="Run the embedder with ONNX Runtime (faster, exported once) or sentence-transformers."
    )
    embedder_dir: Path | None = Field(None, description="Where the embedder's ONNX export lives (default: models dir).")
    theme: str = Field("textual-dark", description="TUI colour theme.")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=config_file()))

    # Derived locations ---------------------------------------------------------------------------------
    @property
    def db_path(self) -> Path:
        return self.home / "progress.sqlite3"

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def user_index_dir(self) -> Path:
        return self.home / "index"

    @property
    def user_notes_dir(self) -> Path:
        return self.home / "notes"


def load_settings(**overrides: Any) -> Settings:
    """Build settings, turning validation and TOML errors into one ConfigError a user can act on."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"setting {name!r}: {first['msg']}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {config_file()} is not valid TOML: {exc}") from exc


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()


def setting_sources(settings: Settings) -> dict[str, tuple[Any, str]]:
    """Each field's effective value and where it came from: `env TUTOR_X`, the config file, or `default`."""
    path = config_file()
    file_values: dict[str, Any] = {}
    if path.is_file():
        try:
            file_values = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError:
            file_values = {}
    # pydantic-settings matches env names case-insensitively, so the report must too.
    env_names = {key.upper(): key for key in os.environ}
    out: dict[str, tuple[Any, str]] = {}
    for name in Settings.model_fields:
        env = env_names.get(ENV_PREFIX + name.upper())
        if env is not None:
            source = f"env {env}"
        elif name in file_values:
            source = f"file {path}"
        else:
            source = "default"
        out[name] = (getattr(settings, name), source)
    return out


def save_setting(name: str, value: Any) -> Path:
    """Write one setting to the TOML config file (used by the TUI settings screen and `tutor config set`)."""
    import tomli_w

    if name not in Settings.model_fields:
        raise ConfigError(f"unknown setting {name!r}; `tutor config show` lists them")
    path = config_file()
    data: dict[str, Any] = {}
    if path.is_file():
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    data[name] = str(value) if isinstance(value, Path) else value
    load_settings(**{name: value})  # validate before writing
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(tomli_w.dumps(data), encoding="utf-8")
    tmp.replace(path)
    get_settings.cache_clear()
    return path
