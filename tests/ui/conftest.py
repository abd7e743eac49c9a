from __future__ import annotations

import io
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Static, TextArea

from tutor.backends.base import ChatMessage
from tutor.backends.fake import FakeBackend
from tutor.config import load_settings
from tutor.corpus.loader import load_corpus
from tutor.errors import IndexMissing, ModelNotFound
from tutor.retrieval.chunking import Chunk, chunk_corpus
from tutor.retrieval.retriever import Hit
from tutor.session.resources import Resources
from tutor.session.study import StudySession
from tutor.ui.app import TutorApp, make_app
from tutor.ui.widgets import Transcript

FIXTURE_CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"
WORD = re.compile(r"[a-z0-9_]+")

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
    """Stands in for the search index: word overlap over the fixture corpus's real chunks, no embedder or FAISS.

    The real ranking is covered by the retrieval tests; the UI needs real Hit and Chunk objects with the passages.
    """

    def __init__(self) -> None:
        self.chunks: list[Chunk] = chunk_corpus(load_corpus(FIXTURE_CORPUS))
        self.last_ms = 0.0

    def search(self, query: str, k: int = 5, topic: str | None = None, mode: str = "hybrid") -> list[Hit]:
        words = set(WORD.findall(query.lower()))
        overlap = [
            (len(words & set(WORD.findall(c.embed_text.lower()))), c) for c in self.chunks if topic in (None, c.topic)
        ]
        ranked = sorted((o for o in overlap if o[0]), key=lambda o: -o[0])[:k]
        return [Hit(rank, float(n), n / len(words), chunk) for rank, (n, chunk) in enumerate(ranked, 1)]

    def relevant(self, hits: list[Hit]) -> bool:
        return bool(hits)


class HeldBackend(FakeBackend):
    """Writes the first words of its reply, then holds the rest until ``release`` is set: a test acts mid-stream."""

    def __init__(self, reply: str) -> None:
        super().__init__(default=reply)
        self.release = threading.Event()

    def stream(self, messages: Sequence[ChatMessage], **kwargs: Any) -> Iterator[str]:
        for i, piece in enumerate(super().stream(messages, **kwargs)):
            if i == 3:
                self.release.wait(timeout=30)
            yield piece


def build_app(
    backend: FakeBackend | None = None,
    *,
    index_error: bool = False,
    model_error: bool = False,
    report: bool | dict[str, Any] = True,
    topic: str | None = "lstm",
    mode: str = "learn",
    loaded: threading.Event | None = None,
) -> TutorApp:
    """The app over the fixture corpus with a fake model and index; until ``loaded`` is set, both stay loading.

    The progress screens show ``report`` (a fixed one by default), or the real progress when it is False."""
    settings = load_settings(corpus_dir=FIXTURE_CORPUS, theme="textual-dark")

    def make_backend() -> FakeBackend:
        if loaded is not None:
            resources.model.status = "assembling the default model (first run only) 42 %"
            loaded.wait()
        if model_error:
            raise ModelNotFound("no GGUF model at /nonexistent/model.gguf")
        return backend or FakeBackend(default="Nice work: the additive cell state is the key.")

    def make_retriever() -> FakeRetriever:
        if loaded is not None:
            loaded.wait()
        if index_error:
            raise IndexMissing("no search index was found")
        return FakeRetriever()

    resources = Resources(settings, backend_factory=make_backend, retriever_factory=make_retriever)

    def factory(session_mode: str, session_topic: str | None) -> StudySession:
        return StudySession(settings, resources, mode=session_mode, topic=session_topic, resume=False)  # type: ignore[arg-type]

    return make_app(
        settings,
        resources=resources,
        session_factory=factory,
        mode=mode,
        topic=topic,
        progress_report=(lambda: FIXED_REPORT if report is True else report) if report else None,
    )


class Drive:
    """Pilot steps shared by the pilot and snapshot tests, and the answers they type."""

    RIGHT = (
        "Plain RNNs have vanishing gradients over long sequences. The LSTM keeps an additively updated cell state so "
        "gradients flow across many time steps, and gates control what is forgotten, written and exposed."
    )
    NAIVE_SOFTMAX = """import numpy as np

def softmax(x, axis=-1):
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)
"""

    @staticmethod
    async def settle(pilot: Pilot[Any]) -> None:
        """Let running workers finish and the screen repaint, and so an action queued behind them (the first pause
        lets the session worker start: the app starts it after its first frame)."""
        app = pilot.app
        assert isinstance(app, TutorApp)
        await pilot.pause()
        for _ in range(500):
            await app.workers.wait_for_complete()
            await pilot.pause()
            if not app.busy:
                return
            await pilot.pause(0.01)  # the worker is done but its TurnFinished is not handled yet
        raise AssertionError("the tutor stayed busy")

    @staticmethod
    def no_blink(app: TutorApp) -> None:
        for area in app.study.query(TextArea):
            area.cursor_blink = False  # a blinking cursor is drawn or not depending on when the frame is taken

    @staticmethod
    async def ready(pilot: Pilot[Any]) -> None:
        """Model and index loaded, first question shown, status line current, cursors not blinking."""
        app = pilot.app
        assert isinstance(app, TutorApp)
        Drive.no_blink(app)
        app.resources.model.get(wait=True)
        app.resources.index.get(wait=True)
        await Drive.settle(pilot)
        app.poll_resources()
        await pilot.pause()

    @staticmethod
    async def answer(pilot: Pilot[Any], text: str) -> None:
        app = pilot.app
        assert isinstance(app, TutorApp)
        app.study.query_one("#answer", TextArea).text = text
        await pilot.press("ctrl+s")
        await Drive.settle(pilot)

    @staticmethod
    def text_of(widget: Static) -> str:
        """What a Static shows, as plain text (tables and Markdown included)."""
        console = Console(width=200, file=io.StringIO(), record=True)
        console.print(widget.content)
        return console.export_text()

    @staticmethod
    def transcript(app: TutorApp) -> str:
        return "\n".join(Drive.text_of(w) for w in app.study.query_one(Transcript).query(Static))

    @staticmethod
    async def command(pilot: Pilot[Any], text: str) -> None:
        app = pilot.app
        assert isinstance(app, TutorApp)
        app.command(text)
        await Drive.settle(pilot)


@pytest.fixture
def app_factory() -> Callable[..., TutorApp]:
    return build_app


@pytest.fixture
def drive() -> type[Drive]:
    return Drive


@pytest.fixture
def held_backend() -> Iterator[HeldBackend]:
    backend = HeldBackend("The additive cell state carries the gradient across many steps, so it does not vanish.")
    yield backend
    backend.release.set()  # never leave a worker thread waiting
