from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tutor.backends.fake import FakeBackend
from tutor.config import load_settings
from tutor.errors import IndexMissing
from tutor.session.resources import Resources
from tutor.session.study import StudySession
from tutor.ui.app import TutorApp, make_app

FIXTURE_CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"

# A fixed progress report so the progress screen renders the same picture every day.
FIXED_REPORT: dict[str, Any] = {
    "topics": {
        "lora": {"mastery": 0.82, "due": 0, "seen": 1, "questions": 1},
        "lstm": {"mastery": 0.35, "due": 1, "seen": 2, "questions": 2},
    },
    "due_total": 1,
    "attempts": 9,
    "streak_days": 3,
    "weakest": ["lstm", "lora"],
    "accuracy_by_day": [
        {"day": "2026-11-20", "attempts": 3, "accuracy": 0.33},
        {"day": "2026-11-21", "attempts": 4, "accuracy": 0.5},
        {"day": "2026-11-22", "attempts": 2, "accuracy": 1.0},
    ],
}


class FakeRetriever:
    """Stands in for the search index in UI tests (the real one is covered by the retrieval tests)."""


def build_app(
    backend: FakeBackend | None = None, *, index_error: bool = False, report: bool = True, topic: str | None = "lstm"
) -> TutorApp:
    settings = load_settings(corpus_dir=FIXTURE_CORPUS, theme="textual-dark")

    def no_index() -> Any:
        raise IndexMissing("no search index was found")

    resources = Resources(
        settings,
        backend_factory=lambda: backend or FakeBackend(default="Nice work: the additive cell state is the key."),
        retriever_factory=no_index if index_error else FakeRetriever,
    )

    def factory(mode: str, session_topic: str | None) -> StudySession:
        return StudySession(settings, resources, mode=mode, topic=session_topic, resume=False)  # type: ignore[arg-type]

    return make_app(
        settings,
        resources=resources,
        session_factory=factory,
        mode="learn",
        topic=topic,
        progress_report=(lambda: FIXED_REPORT) if report else None,
    )


@pytest.fixture
def app_factory() -> Callable[..., TutorApp]:
    return build_app
