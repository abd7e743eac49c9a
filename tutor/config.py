"""Settings: defaults < TOML file in the platform config dir < ``TUTOR_*`` environment variables.

Data (progress DB, built index, assembled models) lives in the platform data dir unless ``TUTOR_HOME`` says
otherwise. ``tutor config show`` prints each effective value and where it came from.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from dataclasses import dataclass
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
# TUTOR_* variables that the code reads itself rather than through Settings: not typos of a setting.
DIRECT_ENV_VARS = frozenset({"TUTOR_CONFIG_FILE", "TUTOR_DEBUG", "TUTOR_ALLOW_FAKE"})
DIRECT_ENV_PREFIXES = ("TUTOR_BENCH_",)  # the bench hands its start-up probe a clock and an output file


def config_file() -> Path:
    override = os.environ.get("TUTOR_CONFIG_FILE")
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


class Settings(BaseSettings):
    # Unknown keys are ignored rather than fatal so that a typo cannot stop the app from starting;
    # `unknown_settings` reports them in `tutor config show` and `tutor doctor` instead.
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


def _file_values() -> dict[str, Any]:
    """The config file's keys and values; empty if there is none (a broken one is reported by `load_settings`)."""
    path = config_file()
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError:
        return {}


def setting_sources(settings: Settings) -> dict[str, tuple[Any, str]]:
    """Each field's effective value and where it came from: `env TUTOR_<NAME>`, the config file, or `default`."""
    path = config_file()
    file_values = _file_values()
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


@dataclass(frozen=True)
class UnknownSetting:
    """A config-file key or ``TUTOR_*`` variable that names no setting, so it has no effect."""

    name: str  # as written: the TOML key or the environment variable
    where: str  # the config file's path, or "the environment"
    suggestion: str | None  # the closest setting, spelled the same way (key or variable)

    def __str__(self) -> str:
        guess = f"; did you mean {self.suggestion}?" if self.suggestion else ""
        return f"unknown setting {self.name} in {self.where}{guess}"

    @property
    def fix(self) -> str:
        if self.suggestion:
            return f"rename {self.name} to {self.suggestion} in {self.where}"
        return f"remove {self.name} from {self.where} (`tutor config show` lists every setting)"


def _closest_setting(name: str) -> str | None:
    matches = difflib.get_close_matches(name.lower(), list(Settings.model_fields), n=1, cutoff=0.6)
    return matches[0] if matches else None


def unknown_settings() -> list[UnknownSetting]:
    """Config-file keys and ``TUTOR_*`` environment variables that name no setting, each with its closest match."""
    out: list[UnknownSetting] = []
    # TOML keys are matched case-sensitively, so `N_CTX = 8192` in the file is as unknown as a misspelling.
    for key in _file_values():
        if key not in Settings.model_fields:
            out.append(UnknownSetting(key, str(config_file()), _closest_setting(key)))
    for var in sorted(os.environ):
        upper = var.upper()
        if not upper.startswith(ENV_PREFIX) or upper in DIRECT_ENV_VARS or upper.startswith(DIRECT_ENV_PREFIXES):
            continue
        name = upper.removeprefix(ENV_PREFIX).lower()
        if name not in Settings.model_fields:
            match = _closest_setting(name)
            out.append(UnknownSetting(var, "the environment", ENV_PREFIX + match.upper() if match else None))
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
