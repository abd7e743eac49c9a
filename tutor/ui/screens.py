"""Screens: study (main), topics, progress, settings, help, and the modals (error, passage).

Widgets only the other screens use (Markdown, plots) are imported when those screens are built: markdown-it and
plotext cost ~60 ms of start-up, before the first frame.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Footer, Header, Input, Label, ListView, Select, Static, TextArea, Tree

from tutor.ui.latex import latex_to_text
from tutor.ui.widgets import GradePanel, QuestionCard, SourcesPanel, Transcript, mastery_label, progress_summary

HELP = """\
# Keys

| key | action |
| --- | --- |
| ctrl+s | submit your answer (or question) |
| ctrl+t | hint (3 levels; each lowers the credit) |
| ctrl+n | skip to the next question |
| ctrl+r | reveal the reference answer |
| ctrl+o | show or hide the reference under the grade |
| ctrl+e | explain the current question in more depth |
| ctrl+k | compute: run the reference implementation |
| F1 | this help |
| F2 / F3 / F4 / F5 | study / topics / progress / settings |
| ctrl+p | command palette (every action) |
| ctrl+q | quit (progress is saved as you go) |

Type a question instead of an answer to ask a follow-up; the cited passages appear in **Sources**
(`/ask QUESTION`, or *Ask a follow-up* in the command palette, makes anything a follow-up).
Code exercises are in the command palette (*Code exercise: NAME*); tab indents while one is open.
Slash commands work too: `/hint /skip /reveal /next /compute /explain /ask QUESTION /topic NAME /exercise NAME
/progress /quit`.
"""


class StudyScreen(Screen[None]):
    BINDINGS = [
        Binding("ctrl+s", "app.submit", "Submit", priority=True),
        Binding("ctrl+t", "app.hint", "Hint", priority=True),
        Binding("ctrl+n", "app.skip", "Skip", priority=True),
        Binding("ctrl+r", "app.reveal", "Reveal", priority=True),
        # Not in the footer, which is full at 120 columns: the grade panel says "ctrl+o shows the reference" when
        # there is one to show.
        Binding("ctrl+o", "app.show_reference", "Reference", show=False, priority=True),
        Binding("ctrl+e", "app.explain", "Explain", show=False, priority=True),
        Binding("ctrl+k", "app.compute", "Compute", show=False, priority=True),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="study"):
            with Vertical(id="main"):
                yield QuestionCard("Loading your first question…", id="question")
                yield Transcript(id="transcript")
                yield GradePanel(id="grade")
                yield TextArea(
                    id="answer",
                    soft_wrap=True,
                    show_line_numbers=False,
                    tab_behavior="focus",
                    placeholder="Type your answer… ctrl+s to submit; a question starting with /ask is a follow-up",
                )
                with Horizontal(id="actions"):
                    yield Button("Submit", id="submit", variant="primary")
                    yield Button("Hint", id="hint")
                    yield Button("Skip", id="skip")
                    yield Button("Reveal", id="reveal")
                    yield Label("", id="status")
            yield SourcesPanel(id="sources")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(GradePanel).display = False
        self.query_one("#answer", TextArea).focus()

    def show_question(self, ev: dict[str, Any]) -> None:
        self.query_one(QuestionCard).show(ev)
        self.query_one(GradePanel).new_question(ev)
        # Code needs tab to indent; a prose answer keeps tab for moving focus, as everywhere else in the app.
        self.query_one("#answer", TextArea).tab_behavior = "indent" if ev.get("kind") == "code" else "focus"

    def on_button_pressed(self, event: Button.Pressed) -> None:
        actions = {"submit": "submit", "hint": "hint", "skip": "skip", "reveal": "reveal"}
        if event.button.id in actions:
            self.app.run_action(actions[event.button.id])

    def on_list_view_selected(self, event: ListView.Selected) -> None:
        panel = self.query_one(SourcesPanel)
        index = event.list_view.index
        if index is not None and index < len(panel.citations):
            self.app.push_screen(PassageModal(panel.citations[index]))


class TopicsScreen(Screen[None]):
    BINDINGS = [Binding("escape", "app.switch_mode('study')", "Back")]

    def __init__(self, report: Callable[[], dict[str, Any]], titles: dict[str, str]) -> None:
        super().__init__()
        self.report = report
        self.titles = titles

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label("Pick a topic to study (enter). Bars show mastery; numbers are due reviews.", classes="hint")
        yield Tree("Topics", id="topics")
        yield Footer()

    def on_screen_resume(self) -> None:
        self.refresh_tree()

    def on_mount(self) -> None:
        self.refresh_tree()

    def refresh_tree(self) -> None:
        tree = self.query_one(Tree)
        tree.clear()
        tree.root.expand()
        rows = self.report().get("topics", {})
        for topic, row in sorted(rows.items()):
            tree.root.add_leaf(mastery_label(topic, row, self.titles.get(topic, "")), data=topic)

    def on_tree_node_selected(self, event: Tree.NodeSelected[str]) -> None:
        if event.node.data:
            self.app.study_topic(event.node.data)  # type: ignore[attr-defined]


class ProgressScreen(Screen[None]):
    BINDINGS = [Binding("escape", "app.switch_mode('study')", "Back")]

    def __init__(self, report: Callable[[], dict[str, Any]]) -> None:
        super().__init__()
        self.report = report

    def compose(self) -> ComposeResult:
        from textual_plotext import PlotextPlot

        yield Header()
        with Horizontal(id="plots"):
            with Vertical():
                yield PlotextPlot(id="accuracy")
                yield PlotextPlot(id="reviews")
            yield PlotextPlot(id="mastery")
        yield Static(id="summary")
        yield Footer()

    def on_screen_resume(self) -> None:
        self.draw()

    def on_mount(self) -> None:
        self.draw()

    def draw(self) -> None:
        from textual_plotext import PlotextPlot

        data = self.report()
        days = data.get("accuracy_by_day", [])
        x = list(range(1, len(days) + 1))
        labels = [d["day"][5:] for d in days]
        acc = self.query_one("#accuracy", PlotextPlot)
        acc.plt.clear_data()
        acc.plt.title("Accuracy per day (% correct)")
        acc.plt.ylim(0, 100)
        if days:
            percent = [round(d["accuracy"] * 100) for d in days]
            # A braille line alone is one invisible dot after a single day: a ● marks each day, the line joins them.
            acc.plt.plot(x, percent, marker="braille")
            acc.plt.scatter(x, percent, marker="●")
            acc.plt.xlim(0.5, len(days) + 0.5)  # a margin keeps the first and last marker off the frame
            acc.plt.xticks(x, labels)
        acc.refresh()
        reviews = self.query_one("#reviews", PlotextPlot)
        reviews.plt.clear_data()
        reviews.plt.title("Answers per day")
        if days:
            reviews.plt.bar(x, [d["attempts"] for d in days])
            reviews.plt.xticks(x, labels)
        reviews.refresh()
        mas = self.query_one("#mastery", PlotextPlot)
        topics = data.get("topics", {})
        studied = {t: r["mastery"] for t, r in topics.items() if r["seen"]}
        mas.plt.clear_data()
        mas.plt.title("Mastery per studied topic (%)")
        mas.plt.xlim(0, 100)
        if studied:
            mas.plt.bar(list(studied), [round(v * 100) for v in studied.values()], orientation="horizontal")
        mas.refresh()
        self.query_one("#summary", Static).update(progress_summary(data))


class SettingsScreen(Screen[None]):
    BINDINGS = [Binding("escape", "app.switch_mode('study')", "Back")]

    def __init__(self, values: dict[str, Any], themes: list[str], save: Callable[[dict[str, Any]], str]) -> None:
        super().__init__()
        self.values = values
        self.themes = themes
        self.save = save

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="settings"):
            yield Label("Model file (GGUF; empty = the bundled Qwen2.5-Coder-1.5B)")
            yield Input(str(self.values.get("model") or ""), id="model", placeholder="/path/to/model.gguf")
            yield Label("Backend")
            yield Select(
                [(b, b) for b in ("llama_cpp", "openai")], value=self.values["backend"], id="backend", allow_blank=False
            )
            yield Label("OpenAI-compatible server URL (backend = openai)")
            yield Input(self.values["openai_base_url"], id="openai_base_url")
            yield Label("Grading mode (fast: no model; hybrid: model on unsure cases; llm: model only)")
            yield Select(
                [(m, m) for m in ("fast", "hybrid", "llm")],
                value=self.values["grading_mode"],
                id="grading_mode",
                allow_blank=False,
            )
            yield Label("Theme")
            yield Select([(t, t) for t in self.themes], value=self.values["theme"], id="theme", allow_blank=False)
            yield Button("Save", id="save", variant="primary")
            yield Label("", id="saved")
        yield Footer()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id != "save":
            return
        changed = {
            "model": self.query_one("#model", Input).value.strip() or None,
            "backend": self.query_one("#backend", Select).value,
            "openai_base_url": self.query_one("#openai_base_url", Input).value.strip(),
            "grading_mode": self.query_one("#grading_mode", Select).value,
            "theme": self.query_one("#theme", Select).value,
        }
        self.query_one("#saved", Label).update(Text(self.save(changed)))


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        from textual.widgets import Markdown

        with Vertical(id="dialog"):
            with VerticalScroll(classes="dialog-body"):
                yield Markdown(HELP)
            yield Button("Close", id="close")

    def on_button_pressed(self, _: Button.Pressed) -> None:
        self.dismiss()


class ErrorModal(ModalScreen[None]):
    """The one place errors are shown: what went wrong and the command that fixes it. Problems found while it is open
    are listed in it too, so that a missing model and a missing index make one modal, not two stacked."""

    BINDINGS = [Binding("escape,enter", "dismiss", "Close")]

    def __init__(self, message: str, fix: str = "") -> None:
        super().__init__()
        self.problems: list[tuple[str, str]] = [(message, fix)]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="error"):
            yield Label(self._title(), id="error-title", classes="panel-title")
            with VerticalScroll(id="problems", classes="dialog-body"):
                for message, fix in self.problems:
                    yield from self._problem(message, fix)
            yield Button("OK", id="ok", variant="error")

    def add_problem(self, message: str, fix: str = "") -> None:
        self.problems.append((message, fix))
        body = self.query("#problems")
        if body:  # composed already; otherwise compose lists it
            body.first().mount_all(self._problem(message, fix))
            self.query_one("#error-title", Label).update(self._title())

    def _title(self) -> str:
        count = len(self.problems)
        return "Something needs your attention" if count == 1 else f"{count} things need your attention"

    @staticmethod
    def _problem(message: str, fix: str) -> Iterator[Static]:
        yield Static(Text(message), classes="error-message")  # Text: brackets in it are not markup
        if fix:
            yield Static(Text.assemble(("Fix: ", "bold"), fix), classes="error-fix")

    def on_button_pressed(self, _: Button.Pressed) -> None:
        self.dismiss()


class PassageModal(ModalScreen[None]):
    BINDINGS = [Binding("escape,enter", "dismiss", "Close")]

    def __init__(self, citation: dict[str, Any]) -> None:
        super().__init__()
        self.citation = citation

    def compose(self) -> ComposeResult:
        from textual.widgets import Markdown

        with Vertical(id="dialog"):
            yield Label(
                Text(f"[{self.citation['n']}] {self.citation['source']} — {self.citation['heading']}"),
                classes="panel-title",
            )
            with VerticalScroll(classes="dialog-body"):
                yield Markdown(latex_to_text(self.citation.get("text", ""), markdown=True))
            yield Button("Close", id="close")

    def on_button_pressed(self, _: Button.Pressed) -> None:
        self.dismiss()
