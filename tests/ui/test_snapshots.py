"""SVG snapshots of every screen at 120x40 (regenerate with `pytest tests/ui --snapshot-update`).

The README links the SVGs under tests/ui/__snapshots__/ as screenshots.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import TextArea

from tutor.ui.app import TutorApp
from tutor.ui.screens import ErrorModal

SIZE = (120, 40)


async def _ready(pilot: Pilot[Any]) -> None:
    app = pilot.app
    assert isinstance(app, TutorApp)
    for area in (a for screen in app.screen_stack for a in screen.query(TextArea)):
        area.cursor_blink = False  # a blinking cursor is drawn or not depending on when the frame is taken
    app.resources.model.get(wait=True)
    app.resources.index.get(wait=True)
    await app.workers.wait_for_complete()
    await pilot.pause()
    app.poll_resources()
    await pilot.pause()


async def _answer(pilot: Pilot[Any], text: str) -> None:
    pilot.app.screen.query_one("#answer", TextArea).text = text
    await pilot.press("ctrl+s")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_study_screen_after_a_graded_answer(snap_compare: Any, app_factory: Callable[..., TutorApp]) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _ready(pilot)
        await _answer(pilot, "I don't know")
        await pilot.press("ctrl+t")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(app_factory(), terminal_size=SIZE, run_before=run_before)


def test_tool_output(snap_compare: Any, app_factory: Callable[..., TutorApp]) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _ready(pilot)
        await pilot.press("ctrl+k")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(app_factory(topic="lora"), terminal_size=SIZE, run_before=run_before)


@pytest.mark.parametrize("key", ["f3", "f4", "f5", "f1"], ids=["topics", "progress", "settings", "help"])
def test_screen(key: str, snap_compare: Any, app_factory: Callable[..., TutorApp]) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _ready(pilot)
        await pilot.press(key)
        await pilot.pause()

    assert snap_compare(app_factory(), terminal_size=SIZE, run_before=run_before)


def test_missing_index_modal(snap_compare: Any, app_factory: Callable[..., TutorApp]) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _ready(pilot)
        assert isinstance(pilot.app.screen, ErrorModal)

    assert snap_compare(app_factory(index_error=True), terminal_size=SIZE, run_before=run_before)
