"""The Textual app. ``make_app()`` builds it for the CLI and the tests alike.

Workers run the session (model calls, retrieval, DB writes) in threads and post messages; only the app's
message handlers touch widgets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import App, SystemCommand
from textual.screen import Screen
from textual.widgets import Label, TextArea

from tutor.config import Settings, save_setting
from tutor.errors import TutorError
from tutor.session.resources import Resources
from tutor.ui.messages import TurnFailed, TurnFinished, TutorEvent
from tutor.ui.screens import ErrorModal, HelpScreen, ProgressScreen, SettingsScreen, StudyScreen, TopicsScreen
from tutor.ui.widgets import GradePanel, QuestionCard, SourcesPanel, Transcript

if TYPE_CHECKING:  # the session pulls in LangGraph (~0.6 s): imported in the worker, after the UI is up
    from tutor.session.study import StudySession

SessionFactory = Callable[[str, str | None], "StudySession"]


class TutorApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "tutor"
    SUB_TITLE = "ML interview practice, offline"
    BINDINGS = [
        ("f1", "help", "Help"),
        ("f2", "switch_mode('study')", "Study"),
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
        self.MODES = {
            "study": StudyScreen,
            "topics": lambda: TopicsScreen(self.progress_report, self.topic_titles()),
            "progress": lambda: ProgressScreen(self.progress_report),
            "settings": lambda: SettingsScreen(
                self.settings.model_dump(), sorted(self.available_themes), self.save_settings
            ),
        }
        super().__init__()

    # Start-up ------------------------------------------------------------------------------------------
    def on_mount(self) -> None:
        self.theme = self.settings.theme if self.settings.theme in self.available_themes else "textual-dark"
        self.switch_mode("study")
        self.resources.start()
        self.set_interval(0.5, self.poll_resources)
        self.open_session(self.start_mode, self.start_topic)

    @work(thread=True, exclusive=True, group="turn")
    def open_session(self, mode: str, topic: str | None) -> None:
        try:
            if self.session is not None:
                self.session.close()
            self.session = self.session_factory(mode, topic)
            for ev in self.session.start():
                self.post_message(TutorEvent(ev))
        except TutorError as exc:
            self.post_message(TurnFailed(str(exc), exc.hint))
        self.post_message(TurnFinished())

    def poll_resources(self) -> None:
        parts = []
        for lazy in (self.resources.model, self.resources.index):
            if lazy.error is not None:
                parts.append(f"{lazy.name}: unavailable")
                key = f"{lazy.name}:{lazy.error}"
                if key not in self._errors_shown:
                    self._errors_shown.add(key)
                    self.push_screen(ErrorModal(str(lazy.error), lazy.error.hint))
            else:
                parts.append(f"{lazy.name}: {'ready' if lazy.ready else 'loading…'}")
        self.sub_title = " · ".join(parts)

    # Data for the other screens ------------------------------------------------------------------------
    def progress_report(self) -> dict[str, Any]:
        if self._report_override is not None:
            return self._report_override()
        return self.session.progress() if self.session else {}

    def topic_titles(self) -> dict[str, str]:
        return {t.topic: t.title for t in self.session.corpus.topics} if self.session else {}

    def save_settings(self, changed: dict[str, Any]) -> str:
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
    def _study(self) -> Screen[Any]:
        if self.current_mode != "study":
            self.switch_mode("study")
        return self.screen

    def send(self, text: str, shown: str | None = None) -> None:
        screen = self._study()
        if self.session is None:
            screen.query_one(Transcript).add_note("Still opening your session…")
            return
        if shown:
            screen.query_one(Transcript).add_learner(shown)
        screen.query_one("#status", Label).update("thinking…")
        self.run_turn(text)

    @work(thread=True, exclusive=True, group="turn")
    def run_turn(self, text: str) -> None:
        session = self.session
        if session is None:
            return
        try:
            for ev in session.send(text):
                self.post_message(TutorEvent(ev))
        except TutorError as exc:
            self.post_message(TurnFailed(str(exc), exc.hint))
        self.post_message(TurnFinished())

    def action_submit(self) -> None:
        area = self._study().query_one("#answer", TextArea)
        text = area.text.strip()
        if not text:
            self.notify("Type an answer or a question first (or ctrl+t for a hint).", severity="warning")
            return
        area.clear()
        self.send(text, shown=text)

    def action_hint(self) -> None:
        self.send("/hint", shown="/hint")

    def action_skip(self) -> None:
        self.send("/skip", shown="/skip")

    def action_reveal(self) -> None:
        self.send("/reveal", shown="/reveal")

    def action_explain(self) -> None:
        self.send("/explain", shown="/explain")

    def action_compute(self) -> None:
        self.send("/compute", shown="/compute")

    def action_show_reference(self) -> None:
        self._study().query_one(GradePanel).toggle_reference()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def study_topic(self, topic: str) -> None:
        self._study().query_one(Transcript).add_note(f"Studying {topic}.", style="bold")
        self.open_session("learn", topic)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Submit answer", "Grade what you typed", self.action_submit)
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
        yield SystemCommand("Review due cards", "Spaced-repetition review", lambda: self.open_session("review", None))
        yield SystemCommand(
            "Diagnostic", "One question per topic to place you", lambda: self.open_session("diagnostic", None)
        )
        yield SystemCommand("Exam", "Ten timed questions, no hints", lambda: self.open_session("exam", None))
        yield SystemCommand("Key bindings", "Help screen", self.action_help)

    # Event handlers (the only code that updates widgets) -----------------------------------------------
    @on(TutorEvent)
    def show_event(self, message: TutorEvent) -> None:
        ev = message.payload
        screen = self.get_screen("study") if self.current_mode != "study" else self.screen
        if not isinstance(screen, StudyScreen):
            return
        transcript = screen.query_one(Transcript)
        kind = ev["type"]
        if kind == "token":
            transcript.stream_token(ev["text"])
            return
        transcript.end_stream()
        if kind == "question":
            screen.query_one(QuestionCard).show(ev)
            screen.query_one(GradePanel).display = False
            transcript.add_note(f"New question [{ev['id']}]: {ev['text']}", style="bold")
        elif kind == "grade":
            screen.query_one(GradePanel).show(ev)
        elif kind == "hint":
            transcript.add_note(f"Hint {ev['level']}/3: {ev['text']}", style="yellow")
        elif kind == "reveal":
            transcript.add_markdown("**Reference answer**\n\n" + ev["answer"])
        elif kind == "answer":
            if ev.get("citations"):
                screen.query_one(SourcesPanel).show(ev["citations"])
        elif kind == "tool":
            transcript.add_tool(ev)
        elif kind == "report":
            transcript.add_note(f"Exam result: {ev['correct']}/{ev['total']} correct", style="bold")
        elif kind == "error":
            transcript.add_note(ev["message"], style="red")
        elif kind == "info":
            transcript.add_note(ev["message"])

    @on(TurnFinished)
    def turn_finished(self, _: TurnFinished) -> None:
        screen = self.get_screen("study") if self.current_mode != "study" else self.screen
        if isinstance(screen, StudyScreen):
            screen.query_one(Transcript).end_stream()
            screen.query_one("#status", Label).update("")

    @on(TurnFailed)
    def turn_failed(self, message: TurnFailed) -> None:
        self.push_screen(ErrorModal(message.message, message.hint))


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
