"""SVG snapshots of every screen at 120x40 (regenerate with `pytest tests/ui --snapshot-update`).

The README links the SVGs under tests/ui/__snapshots__/ as screenshots.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import ListView

import tutor.agent.graph
import tutor.session.study
from tutor.backends.fake import FakeBackend
from tutor.ui.app import TutorApp
from tutor.ui.screens import ErrorModal, PassageModal
from tutor.ui.widgets import SourcesPanel

SIZE = (120, 40)
CITED = FakeBackend(default="The forget gate is a sigmoid between 0 and 1 that scales the previous cell state [1].")


@pytest.fixture
def frozen_exam(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fixed session id (it seeds the exam's question order) and a stopped clock (the report shows the time)."""
    clock = SimpleNamespace(time=lambda: 1_800_000_000.0)
    monkeypatch.setattr(tutor.agent.graph, "time", clock)
    monkeypatch.setattr(tutor.session.study, "time", clock)
    monkeypatch.setattr(tutor.session.study, "uuid", SimpleNamespace(uuid4=lambda: uuid.UUID(int=7)))


@pytest.fixture
def loaded() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()  # let the loader threads finish


def test_study_screen_after_a_graded_answer(
    snap_compare: Any, app_factory: Callable[..., TutorApp], drive: Any
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await drive.ready(pilot)
        await drive.answer(pilot, "I don't know")
        await pilot.press("ctrl+t")
        await drive.settle(pilot)

    assert snap_compare(app_factory(), terminal_size=SIZE, run_before=run_before)


def test_study_screen_after_a_correct_answer(
    snap_compare: Any, app_factory: Callable[..., TutorApp], drive: Any
) -> None:
    """The next question is up, and the grade of the correct answer stays under it as the previous answer."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await drive.ready(pilot)
        await drive.answer(pilot, drive.RIGHT)

    assert snap_compare(app_factory(), terminal_size=SIZE, run_before=run_before)


def test_tool_output(snap_compare: Any, app_factory: Callable[..., TutorApp], drive: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await drive.ready(pilot)
        await pilot.press("ctrl+k")
        await drive.settle(pilot)

    assert snap_compare(app_factory(topic="lora"), terminal_size=SIZE, run_before=run_before)


@pytest.mark.parametrize("key", ["f3", "f4", "f5", "f1"], ids=["topics", "progress", "settings", "help"])
def test_screen(key: str, snap_compare: Any, app_factory: Callable[..., TutorApp], drive: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await drive.ready(pilot)
        await pilot.press(key)
        await pilot.pause()

    assert snap_compare(app_factory(), terminal_size=SIZE, run_before=run_before)


def test_missing_index_modal(snap_compare: Any, app_factory: Callable[..., TutorApp], drive: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await drive.ready(pilot)
        assert isinstance(pilot.app.screen, ErrorModal)

    assert snap_compare(app_factory(index_error=True), terminal_size=SIZE, run_before=run_before)


def test_missing_model_modal(snap_compare: Any, app_factory: Callable[..., TutorApp], drive: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await drive.ready(pilot)
        assert isinstance(pilot.app.screen, ErrorModal)

    assert snap_compare(app_factory(model_error=True), terminal_size=SIZE, run_before=run_before)


def test_loading(snap_compare: Any, app_factory: Callable[..., TutorApp], drive: Any, loaded: threading.Event) -> None:
    """The first question is up while the model and the index still load (the status line says how far)."""

    async def run_before(pilot: Pilot[Any]) -> None:
        drive.no_blink(pilot.app)
        await drive.settle(pilot)
        pilot.app.poll_resources()  # type: ignore[attr-defined]
        await pilot.pause()

    assert snap_compare(app_factory(loaded=loaded), terminal_size=SIZE, run_before=run_before)


def test_sources_panel(snap_compare: Any, app_factory: Callable[..., TutorApp], drive: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await drive.ready(pilot)
        await drive.command(pilot, "/ask what does the forget gate do with the cell state?")

    assert snap_compare(app_factory(backend=CITED), terminal_size=SIZE, run_before=run_before)


def test_passage(snap_compare: Any, app_factory: Callable[..., TutorApp], drive: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await drive.ready(pilot)
        await drive.command(pilot, "/ask what does the forget gate do with the cell state?")
        pilot.app.study.query_one(SourcesPanel).query_one(ListView).focus()  # type: ignore[attr-defined]
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(pilot.app.screen, PassageModal)

    assert snap_compare(app_factory(backend=CITED), terminal_size=SIZE, run_before=run_before)


def test_code_exercise(snap_compare: Any, app_factory: Callable[..., TutorApp], drive: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await drive.ready(pilot)
        await drive.command(pilot, "/exercise softmax")
        await drive.answer(pilot, drive.NAIVE_SOFTMAX)

    assert snap_compare(app_factory(), terminal_size=SIZE, run_before=run_before)


def test_exam_report(snap_compare: Any, app_factory: Callable[..., TutorApp], drive: Any, frozen_exam: None) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await drive.ready(pilot)
        await drive.answer(pilot, "Gradients vanish in plain RNNs; the LSTM cell state is additive.")
        await drive.command(pilot, "/skip")
        await drive.command(pilot, "/quit")

    assert snap_compare(app_factory(mode="exam", topic=None), terminal_size=SIZE, run_before=run_before)
