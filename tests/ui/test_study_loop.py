"""Pilot tests: drive the whole study loop through the UI with a fake model."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import Label, TextArea, Tree

from tutor.ui.app import TutorApp
from tutor.ui.screens import ErrorModal, ProgressScreen, TopicsScreen
from tutor.ui.widgets import GradePanel, QuestionCard, StreamingReply, Transcript

RIGHT = (
    "Plain RNNs have vanishing gradients over long sequences. The LSTM keeps an additively updated cell state so "
    "gradients flow across many time steps, and gates control what is forgotten, written and exposed."
)


async def _settle(pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def _type(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    area = pilot.app.screen.query_one("#answer", TextArea)
    area.text = text
    await pilot.press("ctrl+s")
    await _settle(pilot)


async def test_answer_hint_grade_and_next_question(app_factory: Callable[..., TutorApp]) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await _settle(pilot)
        card = app.screen.query_one(QuestionCard)
        assert "vanilla RNN" in str(card.render())
        await _type(pilot, "LSTMs are faster because they use convolutions.")
        grade = app.screen.query_one(GradePanel)
        assert grade.display and "INCORRECT" in str(grade.render())
        await pilot.press("ctrl+t")
        await _settle(pilot)
        notes = " ".join(str(w.render()) for w in app.screen.query_one(Transcript).query("Static"))
        assert "Hint 1/3" in notes
        await _type(pilot, RIGHT)
        assert "CORRECT" in str(app.screen.query_one(GradePanel).render())
        assert "forget gate" in str(app.screen.query_one(QuestionCard).render())
        assert app.screen.query_one("#status", Label).render().plain == ""


async def test_streamed_feedback_appears_in_transcript(app_factory: Callable[..., TutorApp]) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await _settle(pilot)
        await _type(pilot, "no idea")
        replies = app.screen.query_one(Transcript).query(StreamingReply)
        assert any("additive cell state" in r.source for r in replies)


async def test_topic_switch_from_topics_screen(app_factory: Callable[..., TutorApp]) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await _settle(pilot)
        await pilot.press("f3")
        assert isinstance(app.screen, TopicsScreen)
        tree = app.screen.query_one(Tree)
        lora = next(n for n in tree.root.children if n.data == "lora")
        tree.select_node(lora)
        await pilot.pause()
        await _settle(pilot)
        assert app.current_mode == "study"
        assert "LoRA" in str(app.screen.query_one(QuestionCard).render()) or "lora" in str(
            app.screen.query_one(QuestionCard).render()
        )


async def test_progress_screen_opens(app_factory: Callable[..., TutorApp]) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await _settle(pilot)
        await pilot.press("f4")
        await pilot.pause()
        assert isinstance(app.screen, ProgressScreen)
        assert "streak 3 days" in str(app.screen.query_one("#summary").render())


async def test_missing_index_shows_one_modal_with_the_fix(app_factory: Callable[..., TutorApp]) -> None:
    app = app_factory(index_error=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await _settle(pilot)
        await pilot.pause(0.8)
        assert isinstance(app.screen, ErrorModal)
        assert "tutor index build" in str(app.screen.query_one("#error-fix").render())
        await pilot.press("enter")
        await pilot.pause(0.8)
        assert not isinstance(app.screen, ErrorModal), "the same error is shown once"


async def test_real_tiny_model_streams_into_the_transcript() -> None:
    """The app with the real SmolLM2 GGUF through the llama_cpp backend: streamed feedback text appears."""
    from pathlib import Path

    from tutor.backends.llama_cpp import LlamaCppBackend
    from tutor.backends.models import tiny_model_path
    from tutor.config import load_settings
    from tutor.session.resources import Resources
    from tutor.session.study import StudySession
    from tutor.ui.app import make_app

    settings = load_settings(corpus_dir=Path(__file__).resolve().parents[1] / "fixtures" / "corpus", max_tokens=24)
    resources = Resources(
        settings, backend_factory=lambda: LlamaCppBackend(tiny_model_path(), n_ctx=2048), retriever_factory=lambda: None
    )
    app = make_app(
        settings,
        resources=resources,
        topic="lstm",
        mode="learn",
        session_factory=lambda m, t: StudySession(settings, resources, mode=m, topic=t, resume=False),
    )  # type: ignore[arg-type]
    async with app.run_test(size=(120, 40)) as pilot:
        resources.model.get(wait=True)
        await _settle(pilot)
        await _type(pilot, "RNNs forget; LSTMs add a cell state.")
        replies = app.screen.query_one(Transcript).query(StreamingReply)
        assert replies and len(replies[-1].source.strip()) > 0
