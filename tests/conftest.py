"""Shared fixtures: an isolated data dir for every test, and a scripted fake chat model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tutor.backends.fake import FakeBackend


@pytest.fixture(scope="session")
def embedder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One ONNX export of the embedder for the whole run (exporting takes seconds), outside every test's home."""
    return tmp_path_factory.mktemp("embedder")


@pytest.fixture(autouse=True)
def isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, embedder_dir: Path
) -> Iterator[Path]:
    """Every test gets its own TUTOR_HOME and config file, so nothing touches the user's real data."""
    home = tmp_path_factory.mktemp("tutor-home")
    monkeypatch.setenv("TUTOR_EMBEDDER_DIR", str(embedder_dir))
    monkeypatch.setenv("TUTOR_HOME", str(home))
    monkeypatch.setenv("TUTOR_CONFIG_FILE", str(home / "config.toml"))
    monkeypatch.setenv("TUTOR_ALLOW_FAKE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from tutor.config import get_settings

    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()


@pytest.fixture
def fake_model() -> FakeBackend:
    """A chat model you enqueue replies into: ``fake_model.enqueue("text", {"json": 1})``."""
    return FakeBackend()
