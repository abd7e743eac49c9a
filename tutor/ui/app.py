"""The Textual app. ``make_app()`` builds it for the CLI and the tests alike.

Workers run the session (model calls, retrieval, DB writes) in threads and post messages; only the app's
message handlers touch widgets. They write to the one StudyScreen, kept by reference, whatever is on top of it
(another mode's screen, a modal), so no event is lost.

One worker runs at a time: the session is not thread-safe and a thread worker cannot be cancelled, so an action
taken while the tutor is busy (a submit, a skip, a topic picked) waits in a queue of one and starts when the running
turn has finished.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Label, TextArea

from tutor.errors import TutorError
from tutor.session.resources import Resources
from tutor.ui.latex import latex_to_text
from tutor.ui.messages import TurnFailed, TurnFinished, TutorEvent
from tutor.ui.screens import ErrorModal, HelpScreen, ProgressScreen, SettingsScreen, StudyScreen, TopicsScreen
from tutor.ui.widgets import GradePanel, QuestionCard, SourcesPanel, Transcript

if TYPE_CHECKING:  # the session pulls in LangGraph (~0.6 s): imported in the worker, after the UI is up
    from tutor.config import Settings
    from tutor.session.study import StudySession

SessionFactory = Callable[[str, str | None], "StudySession"]
NEXT_STEPS = "Pick a topic (F3) or start a review from the command palette (ctrl+p), or ctrl+q to leave."
RETRY = "Try again, ask for a hint (ctrl+t), or skip (ctrl+n)."
RETRY_CODE = "Fix your code and submit it again, or skip (ctrl+n)."
# Opening a session loads the corpus and LangGraph; once the first question is up, its worker loads the grader's
# encoders (exporting the embedder to ONNX on a first run). Seconds, while the model and the index may already say
# "ready": the status line says so, and an answer submitted meanwhile is queued.
PREPARING = "preparing your first question…"
READYING_GRADER = "getting the grader ready…"


class TutorApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "tutor"
    SUB_TITLE = "ML interview practice, offline"
    BINDINGS = [
        ("f1", "help", "Help"),
        # Not in the footer, full at 120 columns with the study keys: on the study screen F2 leads nowhere, the other
        # screens go back with escape, and the help screen and the palette list it.
        Binding("f2", "switch_mode('study')", "Study", show=False),
        ("f3", "switch_mode('topics')", "Topics"),
        ("f4", "switch_mode('progress')", "Progress"),
        ("f5", "switch_mode('settings')", "Settings"),
        ("ctrl+q", "quit", "Quit"),
    ]

    def __init__(
        self,
        settings: Settings,
        resources: Resources,
        session_factory: SessionFactory,
        *,
        mode: str = "review",
        topic: str | None = None,
        progress_report: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        self.settings = settings
        self.resources = resources
        self.session_factory = session_factory
        self.session: StudySession | None = None
        self.start_mode = mode
        self.start_topic = topic
        self._report_override = progress_report
        self._errors_shown: set[str] = set()
        self._crashed = False  # set by an unexpected error: quitting then leaves the session open to resume
        self._after_turn: str | None = None  # a note for the end of the turn (what to do after a wrong answer)
        # Whether a session worker is running (the first one starts right after the first frame); what it does, for the
        # status line; and the one action waiting for it to finish (a label for the status line, and how to start it).
        self.busy = True
        self._activity = PREPARING
        self._pending: tuple[str, Callable[[], None]] | None = None
        self._error_modal: ErrorModal | None = None
        self.MODES = {
            "study": lambda: self.study,
            "topics": lambda: TopicsScreen(self.progress_report, self.topic_titles()),
            "progress": lambda: ProgressScreen(self.progress_report),
            "settings": lambda: SettingsScreen(
                self.settings.model_dump(), sorted(self.available_themes), self.save_settings
            ),
        }
        super().__init__()
        self.study = StudyScreen()

    # Start-up ------------------------------------------------------------------------------------------
    async def on_mount(self) -> None:
        self.theme = self.settings.theme if self.settings.theme in self.available_themes else "textual-dark"
        await self.switch_mode("study")
        self._show_status()
        # The loaders and the session worker import llama.cpp, numpy and LangGraph in threads that hold the GIL
        # for long stretches: started after the first frame, they do not delay it.
        self.call_after_refresh(self.start_loading)

    def start_loading(self) -> None:
        self.resources.start()
        self.poll_resources()
        self.set_interval(0.5, self.poll_resources)
        self.open_session(self.start_mode, self.start_topic)

    @work(thread=True, group="turn")
    def open_session(self, mode: str, topic: str | None) -> None:
        self._relay(partial(self._new_session, mode, topic))

    def _new_session(self, mode: str, topic: str | None) -> Iterable[dict[str, Any]]:
        if self.session is not None:
            self.session.close()
            self.session = None  # if the new one fails to open, no closed session is left to send to
        self.session = self.session_factory(mode, topic)
        return self.session.start()

    @work(thread=True, group="turn")
    def run_turn(self, text: str) -> None:
        session = self.session
        if session is not None:
            self._relay(partial(session.send, text))

    def _relay(self, turn: Callable[[], Iterable[dict[str, Any]]]) -> None:
        """Run a session call in the worker thread and post its events; an error becomes one TurnFailed."""
        session_over = False
        try:
            for ev in turn():
                self.post_message(TutorEvent(ev))
            session_over = self.session is not None and self.session.finished
        except TutorError as exc:
            self.post_message(TurnFailed(str(exc), exc.hint))
        except Exception as exc:
            if os.environ.get("TUTOR_DEBUG") == "1":
                raise  # let the app exit with the traceback
            # A bug below the UI must not take the app down, nor the session: it stays open to resume.
            self._crashed = True
            self.post_message(
                TurnFailed(f"unexpected error: {type(exc).__name__}: {exc} (run `tutor --debug` to see the traceback)")
            )
        self.post_message(TurnFinished(session_over))

    def poll_resources(self) -> None:
        parts = [self._activity] if self._activity in (PREPARING, READYING_GRADER) else []
        for lazy in (self.resources.model, self.resources.index):
            if lazy.error is not None:
                parts.append(f"{lazy.name}: unavailable")
                key = f"{lazy.name}:{lazy.error}"
                if key not in self._errors_shown:
                    self._errors_shown.add(key)
                    self.show_error(str(lazy.error), lazy.error.hint)
            else:
                parts.append(f"{lazy.name}: {'ready' if lazy.ready else lazy.status}")
        self.sub_title = " · ".join(parts)

    def show_error(self, message: str, fix: str = "") -> None:
        """Errors share one modal: a problem found while it is open (a missing index after a missing model) is added
        to it rather than stacked over it."""
        modal = self._error_modal
        if modal is not None and modal in self.screen_stack:
            modal.add_problem(message, fix)
            return
        self._error_modal = ErrorModal(message, fix)
        self.push_screen(self._error_modal)

    # Data for the other screens ------------------------------------------------------------------------
    def progress_report(self) -> dict[str, Any]:
        if self._report_override is not None:
            return self._report_override()
        session = self.session  # read once: a session worker may be replacing it
        return session.progress() if session else {}

    def topic_titles(self) -> dict[str, str]:
        session = self.session
        return {t.topic: t.title for t in session.corpus.topics} if session else {}

    def save_settings(self, changed: dict[str, Any]) -> str:
        from tutor.config import save_setting

        try:
            path: Path | None = None
            for name, value in changed.items():
                if value is not None and value != getattr(self.settings, name):
                    path = save_setting(name, value)
                    setattr(self.settings, name, value)
        except TutorError as exc:
            return f"Not saved: {exc}"
        if changed.get("theme") in self.available_themes:
            self.theme = changed["theme"]
        return f"Saved to {path}. Model changes apply at the next start." if path else "Nothing changed."

    # Actions -------------------------------------------------------------------------------------------
    def _study(self) -> StudyScreen:
        """The study screen, brought forward when another mode is showing, for actions whose result shows there."""
        if self.current_mode != "study":
            self.switch_mode("study")
        return self.study

    def _show_status(self) -> None:
        parts = [self._activity] if self._activity else []
        if self._pending is not None:
            parts.append(f"queued: {self._pending[0]}, runs when the tutor is done")
        self.study.query_one("#status", Label).update(" · ".join(parts))

    def _queue_full(self) -> bool:
        """Whether an action already waits for the running one; if so the learner is told to wait (the answer box
        keeps what they typed)."""
        if self._pending is None:
            return False
        self.notify(f"Wait for the tutor to finish: {self._pending[0]} is queued already.", severity="warning")
        return True

    def _run_or_queue(self, what: str, start: Callable[[], None]) -> None:
        """Start a turn or a session now, or queue it to start when the running one has finished."""
        if not self.busy:
            start()
        elif not self._queue_full():
            self._pending = (what, start)
            self._show_status()

    def _begin(self, activity: str) -> None:
        self.busy = True
        self._activity = activity
        self._show_status()

    def send(self, text: str, shown: str | None = None, what: str = "") -> None:
        self._study()
        self._run_or_queue(what or shown or text, partial(self._start_turn, text, shown))

    def _start_turn(self, text: str, shown: str | None) -> None:
        transcript = self.study.query_one(Transcript)
        if self.session is None:  # its opening failed, and the modal said why
            transcript.add_note(f"No session is open. {NEXT_STEPS}")
            return
        if shown:
            transcript.add_learner(shown)
        self._begin("thinking…")
        self.run_turn(text)

    def _take_input(self, empty_warning: str) -> str:
        """What the learner typed (the box is cleared), or "" with a warning when there is nothing, or when an action
        is queued already (the box keeps the text)."""
        if self.busy and self._queue_full():
            return ""
        area = self.study.query_one("#answer", TextArea)
        text = area.text.strip()
        if not text:
            self.notify(empty_warning, severity="warning")
            return ""
        area.clear()
        return text

    def action_submit(self) -> None:
        text = self._take_input("Type an answer or a question first (or ctrl+t for a hint).")
        if text:
            self.send(text, shown=text, what="your answer")

    def action_ask(self) -> None:
        text = self._take_input("Type your question in the answer box first.")
        if text:
            self.send(f"/ask {text}", shown=f"/ask {text}", what="your question")

    def command(self, text: str) -> None:
        """A slash command, echoed in the transcript as if typed."""
        self.send(text, shown=text)

    def action_hint(self) -> None:
        self.command("/hint")

    def action_skip(self) -> None:
        self.command("/skip")

    def action_reveal(self) -> None:
        self.command("/reveal")

    def action_explain(self) -> None:
        self.command("/explain")

    def action_compute(self) -> None:
        self.command("/compute")

    def action_show_reference(self) -> None:
        self._study().query_one(GradePanel).toggle_reference()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        if self.session is not None and not self._crashed and not self.busy:
            # A clean quit ends the session so the next start is a fresh one. If that write fails the next start
            # resumes this session instead, which loses nothing: quit anyway. So does a quit mid-turn, which leaves
            # the session to the worker still running that turn (the next start finishes it).
            with contextlib.suppress(TutorError):
                self.session.close()
        self.exit()

    def study_topic(self, topic: str) -> None:
        self.new_session("learn", topic, f"Studying {topic}.")

    def new_session(self, mode: str, topic: str | None, note: str) -> None:
        """Start another session from the topics screen or the palette, on the study screen where it shows; while a
        turn runs it waits, since opening it closes the session that turn is using."""
        self._study()
        what = f"{mode} session" + (f" on {topic}" if topic else "")
        self._run_or_queue(what, partial(self._start_session, mode, topic, note))

    def _start_session(self, mode: str, topic: str | None, note: str) -> None:
        self.study.query_one(Transcript).add_note(note, style="bold")
        self.study.query_one(GradePanel).clear()  # the last grade was another session's
        self._begin(PREPARING)
        self.poll_resources()
        self.open_session(mode, topic)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        # Imported here, not at start-up: the catalog pulls in numpy and the tools (the session has loaded them
        # by the time the palette opens).
        from tutor.exercises.catalog import EXERCISES

        yield from super().get_system_commands(screen)
        yield SystemCommand("Submit answer", "Grade what you typed", self.action_submit)
        yield SystemCommand(
            "Ask a follow-up", "Ask what you typed as a question, answered from the notes", self.action_ask
        )
        yield SystemCommand("Hint", "Next rung of the hint ladder", self.action_hint)
        yield SystemCommand("Skip question", "Move on to the next question", self.action_skip)
        yield SystemCommand("Reveal answer", "Show the reference answer", self.action_reveal)
        yield SystemCommand("Explain more", "A deeper explanation of this question", self.action_explain)
        yield SystemCommand("Compute", "Run the reference implementation for this question", self.action_compute)
        yield SystemCommand("Show reference", "Toggle the reference under the grade", self.action_show_reference)
        yield SystemCommand("Study screen", "Questions and answers", lambda: self.switch_mode("study"))
        yield SystemCommand("Topics", "Pick a topic to study", lambda: self.switch_mode("topics"))
        yield SystemCommand("Progress", "Plots of accuracy and mastery", lambda: self.switch_mode("progress"))
        yield SystemCommand("Settings", "Model, grading mode, theme", lambda: self.switch_mode("settings"))
        yield SystemCommand(
            "Review due cards", "Spaced-repetition review", partial(self.new_session, "review", None, "Review.")
        )
        yield SystemCommand(
            "Diagnostic",
            "One question per topic to place you",
            partial(self.new_session, "diagnostic", None, "Diagnostic: one question per topic."),
        )
        yield SystemCommand(
            "Exam", "Ten timed questions, no hints", partial(self.new_session, "exam", None, "Exam: timed, no hints.")
        )
        for name, exercise in EXERCISES.items():
            yield SystemCommand(
                f"Code exercise: {name}", f"Implement {exercise.signature}", partial(self.command, f"/exercise {name}")
            )
        yield SystemCommand("Key bindings", "Help screen", self.action_help)

    # Event handlers (the only code that updates widgets) -----------------------------------------------
    @on(TutorEvent)
    def show_event(self, message: TutorEvent) -> None:
        ev = message.payload
        transcript = self.study.query_one(Transcript)
        kind = ev["type"]
        if kind == "token":
            transcript.stream_token(ev["text"])
            return
        transcript.end_stream()
        if kind == "question":
            self._after_turn = None
            self.study.show_question(ev)
            transcript.add_note(f"New question [{ev['id']}]: {latex_to_text(ev['text'])}", style="bold")
            if self._activity == PREPARING:  # the question is up; the session worker goes on to load the grader
                self._activity = READYING_GRADER
                self._show_status()
                self.poll_resources()
        elif kind == "grade":
            transcript.add_grade(ev)
            self.study.query_one(GradePanel).show(ev)
            if ev["verdict"] != "correct":
                self._after_turn = RETRY_CODE if ev.get("exercise") else RETRY
        elif kind == "hint":
            transcript.add_note(f"Hint {ev['level']}/3: {latex_to_text(ev['text'])}", style="yellow")
        elif kind == "reveal":
            transcript.add_markdown("**Reference answer**\n\n" + ev["answer"])
        elif kind == "answer":
            if ev.get("citations"):
                self.study.query_one(SourcesPanel).show(ev["citations"])
        elif kind == "tool":
            transcript.add_tool(ev)
        elif kind == "report":
            transcript.add_report(ev)
        elif kind == "error":
            transcript.add_note(ev["message"], style="red")
        elif kind == "info" and "progress" in ev:  # /progress: its message is only the word "progress"
            transcript.add_progress(ev["progress"])
        elif kind == "info":
            transcript.add_note(ev["message"])

    @on(TurnFinished)
    def turn_finished(self, message: TurnFinished) -> None:
        transcript = self.study.query_one(Transcript)
        transcript.end_stream()
        self.busy = False
        self._activity = ""
        self.poll_resources()
        if message.session_over:
            self._after_turn = None
            self.study.query_one(QuestionCard).show_text("This session is over.")
            transcript.add_note(NEXT_STEPS, style="bold")
        elif self._after_turn:
            transcript.add_note(self._after_turn)
            self._after_turn = None
        pending, self._pending = self._pending, None
        if pending is not None:
            pending[1]()
        else:
            self._show_status()

    @on(TurnFailed)
    def turn_failed(self, message: TurnFailed) -> None:
        self.show_error(message.message, message.hint)


def make_app(
    settings: Settings,
    *,
    resources: Resources | None = None,
    session_factory: SessionFactory | None = None,
    mode: str = "review",
    topic: str | None = None,
    progress_report: Callable[[], dict[str, Any]] | None = None,
) -> TutorApp:
    """Build the app; tests pass resources with a fake backend and a factory over a fixture corpus."""
    resources = resources or Resources(settings)

    def default_factory(session_mode: str, session_topic: str | None) -> StudySession:
        from tutor.session.study import StudySession

        return StudySession(settings, resources, mode=session_mode, topic=session_topic)  # type: ignore[arg-type]

    return TutorApp(
        settings,
        resources,
        session_factory or default_factory,
        mode=mode,
        topic=topic,
        progress_report=progress_report,
    )
