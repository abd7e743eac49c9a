from __future__ import annotations

from pathlib import Path

import pytest

from tutor.backends.fake import FakeBackend
from tutor.config import Settings, load_settings
from tutor.corpus.loader import load_corpus
from tutor.corpus.model import Corpus
from tutor.session.resources import Resources
from tutor.session.study import StudySession

FIXTURE_CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"


@pytest.fixture
def corpus() -> Corpus:
    return load_corpus(FIXTURE_CORPUS)


@pytest.fixture
def settings() -> Settings:
    return load_settings(corpus_dir=FIXTURE_CORPUS)


@pytest.fixture
def make_session():  # type: ignore[no-untyped-def]
    """Build a StudySession over the fixture corpus with a fake (or no) model and retriever."""
    return _make_session


def _make_session(
    settings: Settings, backend: FakeBackend | None, *, mode: str = "learn", topic: str | None = "lstm", retriever=None
) -> StudySession:  # type: ignore[no-untyped-def]
    resources = Resources(
        settings,
        backend_factory=(lambda: backend) if backend is not None else _unavailable,
        retriever_factory=(lambda: retriever) if retriever is not None else _unavailable,
        wait=True,
    )
    return StudySession(settings, resources, mode=mode, topic=topic)  # type: ignore[arg-type]


def _unavailable():  # type: ignore[no-untyped-def]
    from tutor.errors import BackendError

    raise BackendError("not loaded in this test")
