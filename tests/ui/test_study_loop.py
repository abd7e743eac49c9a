"""Pilot tests: drive the whole study loop through the UI with a fake model and a fake index."""

from __future__ import annotations

import re
import threading
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Label, ListView, Select, Static, TextArea, Tree

import tutor.agent.graph
from tutor.backends.fake import FakeBackend
from tutor.session.study import StudySession
from tutor.ui.app import NEXT_STEPS, PREPARING, READYING_GRADER, RETRY, RETRY_CODE, TutorApp
from tutor.ui.messages import TurnFailed, TutorEvent
from tutor.ui.screens import ErrorModal, HelpScreen, PassageModal, ProgressScreen, SettingsScreen, TopicsScreen
from tutor.ui.widgets import GradePanel, QuestionCard, SourcesPanel, StreamingReply, Transcript


def status(app: TutorApp) -> str:
    return str(app.study.query_one("#status", Label).content)


def verdict(text: str) -> str:
    """The verdict label a grade shows (" CORRECT ", never the CORRECT inside INCORRECT)."""
    found = re.findall(r"\b(CORRECT|INCORRECT|PARTIAL|SKIPPED|UNANSWERED)\b", text)
    assert len(found) == 1, f"one verdict expected in {text!r}"
    return found[0]


async def until_streaming(pilot: Pilot[Any]) -> StreamingReply:
    """Wait for the tutor's reply to start streaming."""
    app = pilot.app
    assert isinstance(app, TutorApp)
    for _ in range(500):
        replies = app.study.query_one(Transcript).query(StreamingReply)
        if replies and replies.last().source:
            return replies.last()
        await pilot.pause(0.01)
    raise AssertionError("no reply streamed")


async def test_answer_hint_grade_and_next_question(app_factory: Callable[..., TutorApp], drive: Any) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await drive.settle(pilot)
        assert "vanilla RNN" in drive.text_of(app.study.query_one(QuestionCard))
        await drive.answer(pilot, "LSTMs are faster because they use convolutions.")
        grade = app.study.query_one(GradePanel)
        assert grade.display and verdict(drive.text_of(grade)) == "INCORRECT"
        assert drive.transcript(app).rstrip().endswith(RETRY), "a wrong answer says what to do next"
        await pilot.press("ctrl+t")
        await drive.settle(pilot)
        assert "Hint 1/3" in drive.transcript(app)
        await drive.answer(pilot, drive.RIGHT)
        assert verdict(drive.text_of(app.study.query_one(GradePanel))) == "CORRECT"
        assert "forget gate" in drive.text_of(app.study.query_one(QuestionCard))
        assert status(app) == ""


async def test_a_correct_answer_shows_its_grade_under_the_next_question(
    app_factory: Callable[..., TutorApp], drive: Any
) -> None:
    """The next question arrives in the same turn as a correct answer's grade: the grade stays up, marked as the
    previous answer, until the next answer is graded (or one more question goes by)."""
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await drive.ready(pilot)
        await drive.answer(pilot, "LSTMs are faster because they use convolutions.")
        await drive.answer(pilot, drive.RIGHT)
        card = app.study.query_one(QuestionCard)
        assert card.current is not None and card.current["id"] != "lstm-001", "the next question is up"
        grade = app.study.query_one(GradePanel)
        shown = drive.text_of(grade)
        assert grade.display and verdict(shown) == "CORRECT" and re.search(r"score \d+%", shown)
        assert shown.startswith("Previous answer [lstm-001]")
        notes = re.findall(r"grade \[lstm-001\]\s+(\w+)\s+score \d+%", drive.transcript(app))
        assert notes == ["INCORRECT", "CORRECT"], "every grade leaves its verdict and score in the transcript"
        await pilot.press("ctrl+o")
        assert "Reference: Vanilla RNNs suffer" in drive.text_of(grade), "ctrl+o shows the graded question's reference"
        await drive.answer(pilot, "no idea")
        shown = drive.text_of(grade)
        assert verdict(shown) == "INCORRECT" and "Previous answer" not in shown, "the new grade replaces it"
        await drive.command(pilot, "/exercise softmax")
        assert drive.text_of(grade).startswith("Previous answer [lstm-002]")
        await drive.command(pilot, "/exercise gelu")
        assert not grade.display, "a grade stays up for one more question only"


async def test_streamed_feedback_appears_in_transcript(app_factory: Callable[..., TutorApp], drive: Any) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await drive.ready(pilot)
        await drive.answer(pilot, "no idea")
        replies = app.study.query_one(Transcript).query(StreamingReply)
        assert any("additive cell state" in r.source for r in replies)


async def answer_and_hold_the_reply(app: TutorApp, pilot: Any, drive: Any) -> StreamingReply:
    """Submit an answer whose feedback the held backend stops halfway: the reply widget, mid-stream."""
    await drive.ready(pilot)
    app.study.query_one("#answer", TextArea).text = "no idea"
    await pilot.press("ctrl+s")
    return await until_streaming(pilot)


async def test_switching_modes_while_a_reply_streams(
    app_factory: Callable[..., TutorApp], drive: Any, held_backend: Any
) -> None:
    """F3/F4/F5 mid-stream used to kill the app (the handler looked the study screen up by a name it never had)."""
    app = app_factory(backend=held_backend)
    async with app.run_test(size=(120, 40)) as pilot:
        reply = await answer_and_hold_the_reply(app, pilot, drive)
        for key, screen in (("f3", TopicsScreen), ("f4", ProgressScreen), ("f5", SettingsScreen)):
            await pilot.press(key)
            assert isinstance(app.screen, screen)
        assert reply.source != held_backend.default, "the keys were pressed while the reply was still streaming"
        held_backend.release.set()
        await drive.settle(pilot)
        assert reply.source == held_backend.default
        await pilot.press("f2")
        await pilot.pause()
        assert app.screen is app.study and status(app) == ""


async def test_events_reach_the_study_screen_under_a_modal(
    app_factory: Callable[..., TutorApp], drive: Any, held_backend: Any
) -> None:
    """Help opened mid-reply: the reply still completes and the status clears; submitting under it still works."""
    app = app_factory(backend=held_backend)
    async with app.run_test(size=(120, 40)) as pilot:
        reply = await answer_and_hold_the_reply(app, pilot, drive)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        held_backend.release.set()
        await drive.settle(pilot)
        assert reply.source == held_backend.default and status(app) == ""
        app.study.query_one("#answer", TextArea).text = "/hint"
        app.action_submit()  # what the command palette does, with a modal on top
        await drive.settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        assert "Hint 1/3" in drive.transcript(app)


async def test_missing_model_shows_a_modal_and_the_first_question(
    app_factory: Callable[..., TutorApp], drive: Any
) -> None:
    app = app_factory(model_error=True)
    async with app.run_test(size=(120, 40)) as pilot:
        app.resources.model.get(wait=True)
        await drive.settle(pilot)
        await pilot.pause(0.6)
        assert isinstance(app.screen, ErrorModal)
        assert "pip install" in drive.text_of(app.screen.query_one(".error-fix", expect_type=Static))
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is app.study
        assert "vanilla RNN" in drive.text_of(app.study.query_one(QuestionCard))
        assert "model: unavailable" in app.sub_title


async def test_unexpected_error_is_a_modal_not_a_crash(app_factory: Callable[..., TutorApp], drive: Any) -> None:
    class Broken(FakeBackend):
        def stream(self, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("boom")

    app = app_factory(backend=Broken())
    async with app.run_test(size=(120, 40)) as pilot:
        await drive.ready(pilot)
        await drive.answer(pilot, "no idea")
        assert isinstance(app.screen, ErrorModal)
        message = drive.text_of(app.screen.query_one(".error-message", expect_type=Static))
        assert "unexpected error: RuntimeError: boom" in message and "tutor --debug" in message
        assert status(app) == ""
        session = app.session
        assert session is not None
        await pilot.press("ctrl+q")
    assert session.store.open_session("learn", "lstm") == session.session_id, "after a crash the session resumes"


async def test_quit_ends_the_session(app_factory: Callable[..., TutorApp], drive: Any) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await drive.settle(pilot)
        session = app.session
        assert session is not None
        await pilot.press("ctrl+q")
    assert session.store.open_session("learn", "lstm") is None, "the next start is a fresh session"


async def test_show_reference_after_each_new_grade(app_factory: Callable[..., TutorApp], drive: Any) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await drive.settle(pilot)
        grade = app.study.query_one(GradePanel)
        await drive.answer(pilot, "LSTMs use convolutions.")
        await pilot.press("ctrl+o")
        assert "Reference:" in drive.text_of(grade)
        await pilot.press("ctrl+o")
        assert "Reference:" not in drive.text_of(grade)
        await pilot.press("ctrl+o")
        await drive.answer(pilot, "They are faster.")
        assert "Reference:" not in drive.text_of(grade), "a new grade starts with the reference hidden"
        await pilot.press("ctrl+o")
        assert "Reference:" in drive.text_of(grade), "the first ctrl+o after a new grade shows it"


async def test_follow_up_lists_sources_and_opens_a_passage(app_factory: Callable[..., TutorApp], drive: Any) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await drive.ready(pilot)
        await drive.command(pilot, "/ask what does the forget gate do with the cell state?")
        panel = app.study.query_one(SourcesPanel)
        assert panel.citations and panel.citations[0]["n"] == 1
        items = panel.query_one(ListView).children
        assert len(items) == len(panel.citations)
        assert drive.text_of(items[0].query_one(Label)).startswith("[1] ")
        assert not panel.query_one("#sources-empty").display
        panel.query_one(ListView).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PassageModal)
        assert app.screen.citation == panel.citations[0]
        assert panel.citations[0]["text"] in app.screen.query_one("Markdown").source  # type: ignore[attr-defined]


async def test_whole_loop(app_factory: Callable[..., TutorApp], drive: Any) -> None:
    """Answer → grade → hint → follow-up with sources → another topic → progress."""
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await drive.ready(pilot)
        await drive.answer(pilot, "Gradients vanish in plain RNNs.")
        assert app.study.query_one(GradePanel).display
        await pilot.press("ctrl+t")
        await drive.settle(pilot)
        assert "Hint 1/3" in drive.transcript(app)
        app.study.query_one("#answer", TextArea).text = "why is the cell state update additive?"
        app.action_ask()
        await drive.settle(pilot)
        assert "you: /ask why is the cell state update additive?" in drive.transcript(app)
        assert app.study.query_one(SourcesPanel).citations
        await pilot.press("f3")
        tree = app.screen.query_one(Tree)
        tree.select_node(next(n for n in tree.root.children if n.data == "lora"))
        await pilot.pause()
        await drive.settle(pilot)
        assert app.screen is app.study
        assert "lora" in drive.text_of(app.study.query_one(QuestionCard))
        await pilot.press("f4")
        await pilot.pause()
        assert isinstance(app.screen, ProgressScreen)
        assert "streak 3 days" in drive.text_of(app.screen.query_one("#summary", expect_type=Static))


async def test_progress_command_shows_the_summary(app_factory: Callable[..., TutorApp], drive: Any) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await drive.settle(pilot)
        await drive.command(pilot, "/progress")
        text = drive.transcript(app)
        assert "attempts 0 · streak" in text and "F4 shows the plots" in text
        assert "\nprogress\n" not in f"\n{text}\n"


async def test_session_over_says_how_to_go_on(app_factory: Callable[..., TutorApp], drive: Any) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await drive.settle(pilot)
        await drive.command(pilot, "/quit")
        assert drive.transcript(app).rstrip().endswith(NEXT_STEPS)
        assert "session is over" in drive.text_of(app.study.query_one(QuestionCard))


async def test_exam_countdown_and_report(app_factory: Callable[..., TutorApp], drive: Any) -> None:
    app = app_factory(mode="exam", topic=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await drive.settle(pilot)
        card = drive.text_of(app.study.query_one(QuestionCard))
        assert "⏱" in card and "left" in card
        await drive.answer(pilot, "no idea")
        await drive.command(pilot, "/quit")
        text = drive.transcript(app)
        assert "Exam report" in text and "Exam score: 0/" in text and "ended early" in text
        assert "incorrect" in text and "unanswered" in text
        assert "reference answer" in text
        assert "⏱" not in drive.text_of(app.study.query_one(QuestionCard)), "the countdown stops with the exam"


async def test_code_exercise(app_factory: Callable[..., TutorApp], drive: Any) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await drive.settle(pilot)
        area = app.study.query_one("#answer", TextArea)
        assert area.tab_behavior == "focus"
        await drive.command(pilot, "/exercise softmax")
        assert "Implement `softmax(x, axis=-1)`" in drive.text_of(app.study.query_one(QuestionCard))
        assert area.tab_behavior == "indent"
        await drive.answer(pilot, drive.NAIVE_SOFTMAX)
        shown = drive.text_of(app.study.query_one(GradePanel))
        assert "4/6 cases passed" in shown and "✓ a vector" in shown
        assert "✗ large values (overflow)" in shown
        assert "expected" in shown and "got" in shown and "[nan nan nan]" in shown
        assert "hint: Subtract the max" in shown
        assert drive.transcript(app).rstrip().endswith(RETRY_CODE)
        await pilot.press("ctrl+o")
        assert "Task: Implement `softmax" in drive.text_of(app.study.query_one(GradePanel))
        await drive.command(pilot, "/skip")
        assert area.tab_behavior == "focus"


async def test_palette_commands(app_factory: Callable[..., TutorApp], drive: Any) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await drive.settle(pilot)
        commands = {c.title: c.callback for c in app.get_system_commands(app.screen)}
        commands["Code exercise: softmax"]()
        await drive.settle(pilot)
        assert "exercise:softmax" in drive.text_of(app.study.query_one(QuestionCard))
        app.study.query_one("#answer", TextArea).text = "what is the forget gate?"
        commands["Ask a follow-up"]()
        await drive.settle(pilot)
        assert "you: /ask what is the forget gate?" in drive.transcript(app)
        await pilot.press("f4")
        commands["Exam"]()
        await drive.settle(pilot)
        assert app.screen is app.study, "a new session shows on the study screen"
        assert "⏱" in drive.text_of(app.study.query_one(QuestionCard))


async def test_settings_are_saved_to_the_config_file(
    app_factory: Callable[..., TutorApp], drive: Any, isolated_home: Path
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await drive.settle(pilot)
        await pilot.press("f5")
        screen = app.screen
        assert isinstance(screen, SettingsScreen)
        screen.query_one("#grading_mode", Select).value = "hybrid"
        await pilot.click("#save")
        await pilot.pause()
        saved = drive.text_of(screen.query_one("#saved", Label))
    config = isolated_home / "config.toml"
    assert saved.startswith(f"Saved to {config}")
    assert tomllib.loads(config.read_text(encoding="utf-8")) == {"grading_mode": "hybrid"}


async def test_topic_switch_from_topics_screen(app_factory: Callable[..., TutorApp], drive: Any) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await drive.settle(pilot)
        await pilot.press("f3")
        assert isinstance(app.screen, TopicsScreen)
        tree = app.screen.query_one(Tree)
        lora = next(n for n in tree.root.children if n.data == "lora")
        tree.select_node(lora)
        await pilot.pause()
        await drive.settle(pilot)
        assert app.current_mode == "study"
        assert "lora" in drive.text_of(app.study.query_one(QuestionCard))


async def test_missing_index_shows_one_modal_with_the_fix(app_factory: Callable[..., TutorApp], drive: Any) -> None:
    app = app_factory(index_error=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await drive.settle(pilot)
        await pilot.pause(0.8)
        assert isinstance(app.screen, ErrorModal)
        assert "tutor index build" in drive.text_of(app.screen.query_one(".error-fix", expect_type=Static))
        await pilot.press("enter")
        await pilot.pause(0.8)
        assert not isinstance(app.screen, ErrorModal), "the same error is shown once"


async def test_a_skip_while_the_reply_streams_waits_for_it(
    app_factory: Callable[..., TutorApp], drive: Any, held_backend: Any
) -> None:
    """ctrl+n mid-reply used to run a second turn on the session at once: the old reply landed after the new
    question. Now it is queued and runs after the reply; a further action meanwhile is refused, its text kept."""
    app = app_factory(backend=held_backend)
    async with app.run_test(size=(120, 40)) as pilot:
        reply = await answer_and_hold_the_reply(app, pilot, drive)
        session = app.session
        assert session is not None
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert "queued: /skip" in status(app)
        area = app.study.query_one("#answer", TextArea)
        area.text = "the cell state"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert area.text == "the cell state", "a second queued action is refused and the answer box keeps the text"
        assert "you: /skip" not in drive.transcript(app)
        assert reply.source != held_backend.default, "all of this happened while the reply was streaming"
        held_backend.release.set()
        await drive.settle(pilot)
        text = drive.transcript(app)
        assert reply.source == held_backend.default
        assert text.index("does not vanish") < text.index("you: /skip") < text.rindex("New question [")
        assert text.count("you: /skip") == 1 and "you: the cell state" not in text
        card = app.study.query_one(QuestionCard)
        assert card.current is not None and card.current["id"] != "lstm-001"
        assert app.session is session and session.state["question_id"] == card.current["id"], "UI and session agree"
        assert status(app) == "" and not app.busy


async def test_a_topic_picked_mid_turn_opens_after_the_turn(
    app_factory: Callable[..., TutorApp], drive: Any, held_backend: Any
) -> None:
    """Opening a session closes the current one: never while a turn is still using it."""
    app = app_factory(backend=held_backend)
    async with app.run_test(size=(120, 40)) as pilot:
        await answer_and_hold_the_reply(app, pilot, drive)
        session = app.session
        assert session is not None
        await pilot.press("f3")
        tree = app.screen.query_one(Tree)
        tree.select_node(next(n for n in tree.root.children if n.data == "lora"))
        await pilot.pause()
        assert app.screen is app.study and "queued: learn session on lora" in status(app)
        assert app.session is session and session.store.open_session("learn", "lstm") == session.session_id
        held_backend.release.set()
        await drive.settle(pilot)
        assert app.session is not session and app.session is not None and app.session.topic == "lora"
        assert session.store.open_session("learn", "lstm") is None, "the old session was closed after its turn"
        text = drive.transcript(app)
        assert text.index("does not vanish") < text.index("Studying lora.") < text.index("New question [lora-")


async def test_status_says_the_first_question_is_being_prepared(
    app_factory: Callable[..., TutorApp], drive: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Model and index can be ready seconds before the session has its first question up, and the grader its
    encoders: the status line says so, and an answer typed meanwhile waits for them."""
    app = app_factory()
    opened, grader_ready = threading.Event(), threading.Event()
    make_session = app.session_factory
    prepare_question = tutor.agent.graph.prepare_question

    def slow_factory(mode: str, topic: str | None) -> StudySession:
        opened.wait(timeout=30)
        return make_session(mode, topic)

    def slow_prepare(*args: Any) -> None:
        grader_ready.wait(timeout=30)
        prepare_question(*args)

    app.session_factory = slow_factory
    monkeypatch.setattr(tutor.agent.graph, "prepare_question", slow_prepare)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            app.resources.model.get(wait=True)
            app.resources.index.get(wait=True)
            await pilot.pause()
            app.poll_resources()
            assert status(app) == PREPARING
            assert app.sub_title == f"{PREPARING} · model: ready · search index: ready"
            opened.set()
            for _ in range(500):
                if app.study.query_one(QuestionCard).current is not None:
                    break
                await pilot.pause(0.01)
            assert status(app) == READYING_GRADER and app.sub_title.startswith(READYING_GRADER)
            app.study.query_one("#answer", TextArea).text = "no idea"
            await pilot.press("ctrl+s")
            assert status(app) == f"{READYING_GRADER} · queued: your answer, runs when the tutor is done"
            assert "you: no idea" not in drive.transcript(app)
            grader_ready.set()
            await drive.settle(pilot)
            assert app.sub_title == "model: ready · search index: ready" and status(app) == ""
            text = drive.transcript(app)
            assert text.index("New question [lstm-001]") < text.index("you: no idea") < text.index("grade [lstm-001]")
    finally:
        opened.set()
        grader_ready.set()


async def test_missing_model_and_index_share_one_modal(app_factory: Callable[..., TutorApp], drive: Any) -> None:
    app = app_factory(model_error=True, index_error=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await drive.ready(pilot)
        app.post_message(TurnFailed("the session store is locked", "close the other tutor"))  # a third, while it is up
        await pilot.pause()
        assert [type(s) for s in app.screen_stack].count(ErrorModal) == 1
        modal = app.screen
        assert isinstance(modal, ErrorModal)
        fixes = [drive.text_of(w) for w in modal.query(".error-fix").results(Static)]
        assert len(fixes) == 3
        assert any("pip install" in f for f in fixes) and any("tutor index build" in f for f in fixes)
        assert drive.text_of(modal.query_one("#error-title", Label)) == "3 things need your attention\n"
        await pilot.press("enter")
        await pilot.pause(0.6)
        assert app.screen is app.study, "one dismiss closes it"


async def test_reference_latex_is_readable(app_factory: Callable[..., TutorApp], drive: Any) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await drive.ready(pilot)
        formula = r"$\mathrm{Attention}(Q,K,V) = \mathrm{softmax}\left(\frac{QK^\top}{\sqrt{d_k}}\right)V$"
        app.post_message(TutorEvent({"type": "reveal", "answer": formula}))
        await pilot.pause()
        assert "Attention(Q,K,V) = softmax(QKᵀ/√(d_k))V" in drive.transcript(app)


async def test_one_day_of_progress_is_visible(app_factory: Callable[..., TutorApp], drive: Any) -> None:
    """After one session the accuracy plot has one point: drawn as a marker, not one braille dot."""
    from textual_plotext import PlotextPlot

    report = {
        "topics": {},
        "streak_days": 1,
        "accuracy_by_day": [{"day": "2026-11-20", "attempts": 3, "accuracy": 0.5}],
    }
    app = app_factory(report=report)
    async with app.run_test(size=(120, 40)) as pilot:
        await drive.ready(pilot)
        await pilot.press("f4")
        await pilot.pause()
        assert "●" in str(app.screen.query_one("#accuracy", PlotextPlot).render())
        assert "streak 1 day ·" in drive.text_of(app.screen.query_one("#summary", expect_type=Static))


async def test_study_footer_fits_in_120_columns(app_factory: Callable[..., TutorApp], drive: Any) -> None:
    from textual.widgets._footer import FooterKey

    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await drive.ready(pilot)
        keys = list(app.study.query(FooterKey))
        palette = next(k for k in keys if k.key == "ctrl+p")
        shown = [k for k in keys if k is not palette]
        assert {k.key for k in shown} >= {"ctrl+s", "ctrl+t", "ctrl+n", "f1", "f3", "f4", "f5", "ctrl+q"}
        assert all(k.region.right <= palette.region.x for k in shown), "no key is cut off by the palette key"
        assert app.study.query_one("#answer", TextArea).placeholder.startswith("Type your answer")


async def test_real_tiny_model_streams_into_the_transcript(drive: Any) -> None:
    """The app with the real SmolLM2 GGUF through the llama_cpp backend: the model's own feedback streams in."""
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
        session_factory=lambda m, t: StudySession(settings, resources, mode=m, topic=t, resume=False),  # type: ignore[arg-type]
    )
    async with app.run_test(size=(120, 40)) as pilot:
        resources.model.get(wait=True)
        assert resources.model.error is None, resources.model.error
        await drive.settle(pilot)
        await drive.answer(pilot, "RNNs forget; LSTMs add a cell state.")
        replies = app.study.query_one(Transcript).query(StreamingReply)
        fallback = app.study.query_one(GradePanel).last
        assert fallback is not None
        assert replies and replies.last().source.strip(), "feedback was streamed"
        assert replies.last().source.strip() != fallback["feedback"].strip(), "the model wrote it, not the fallback"
