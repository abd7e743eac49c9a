"""The real MiniLM embedder, loaded once for the grading tests that need it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture(scope="session")
def embed() -> Callable[[list[str]], Any]:
    from tutor.backends.embedder import shared_embedder

    return shared_embedder().encode
