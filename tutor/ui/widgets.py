"""Study-screen parts. Pure rendering: they are fed agent events and know nothing about models or the DB.

Markdown is imported on first use: markdown-it costs ~40 ms of start-up, before the first frame.
"""

from __future__ import annotations

import time
from typing import Any

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Label, ListItem, ListView, Static

from tutor.ui.latex import latex_to_text

VERDICT_STYLE = {
    "correct": "bold green",
    "partial": "bold yellow",
    "incorrect": "bold red",
    "skipped": "dim",
    "unanswered": "dim",
}


def markdown(source: str) -> RenderableType:
    from rich.markdown import Markdown

    return Markdown(source)


def clock(seconds: float) -> str:
    whole = max(0, round(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


class QuestionCard(Static):
    """The current question with its topic, difficulty, due state and, in an exam, the time left."""

    def __init__(self, text: str, **kwargs: Any) -> None:
        super().__init__(text, **kwargs)
        self.current: dict[str, Any] | None = None
        self._deadline: float | None = None  # monotonic time the exam ends, for the countdown

    def on_mount(self) -> None:
        self.set_interval(1.0, self._tick)

    def show(self, ev: dict[str, Any]) -> None:
        self.current = ev
        left = ev.get("time_left_s")
        self._deadline = None if left is None else time.monotonic() + left
        self._draw()

    def show_text(self, text: str) -> None:
        """No question to show (the session is over): a plain line instead, and no countdown."""
        self.current = None
        self._deadline = None
        self.update(text)

    def _tick(self) -> None:
        if self._deadline is not None:
            self._draw()

    def _draw(self) -> None:
        ev = self.current
        assert ev is not None, "drawn only after show()"
        stars = "★" * int(ev["difficulty"]) + "☆" * (3 - int(ev["difficulty"]))
        where = f" · {ev['number']}/{ev['total']}" if ev.get("total") else ""
        head = Text.assemble(
            (f" {ev['topic']} ", "reverse"), f"  {stars}  ", (ev["due"], "italic"), where, f"  [{ev['id']}]"
        )
        if self._deadline is not None:
            left = self._deadline - time.monotonic()
            head.append(f"  ⏱ {clock(left)} left", style="bold red" if left < 60 else "bold")
        self.update(Text.assemble(head, "\n\n", (latex_to_text(ev["text"]), "bold")))


def verdict_line(ev: dict[str, Any]) -> Text:
    """A grade in one line: the verdict, the score, the credit left after hints, an exercise's passed cases."""
    verdict = ev["verdict"]
    line = Text.assemble(
        (f" {verdict.upper()} ", f"reverse {VERDICT_STYLE.get(verdict, '')}"), f"  score {ev['score']:.0%}"
    )
    if ev.get("hints_used"):
        line.append(f"  (credit {ev['credit']:.0%} after {ev['hints_used']} hint(s))")
    if ev.get("exercise"):
        result = ev["exercise"]
        line.append(f"  {result['passed']}/{result['passed'] + result['failed']} cases passed")
    return line


class GradePanel(Static):
    """Verdict, score, matched and missing key points, misconceptions; the reference on request.

    A code exercise's grade shows its test cases instead: which passed, what the first failing one was given, expected
    and got, and the diagnosis hint. Exercises have no reference answer, so ctrl+o shows the task.

    A grade stays up for one more question, marked "Previous answer": a correct answer's grade arrives in the same turn
    as the next question, and would otherwise vanish before it is seen.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.last: dict[str, Any] | None = None
        self.previous = False  # the grade shown is for the question before the current one
        self.exercise_task = ""  # the current question's task, when it is a code exercise
        self.graded_task = ""  # the graded question's task, which ctrl+o shows for an exercise
        self.reference_shown = False

    def new_question(self, ev: dict[str, Any]) -> None:
        self.exercise_task = ev["text"] if ev.get("kind") == "code" else ""
        if self.last is not None and not self.previous:
            self.previous = True
            self._draw()
        else:
            self.clear()

    def clear(self) -> None:
        """No grade to show (a new session)."""
        self.display = False
        self.last = None
        self.previous = False

    def show(self, ev: dict[str, Any], *, with_reference: bool = False) -> None:
        self.last = ev
        self.previous = False
        self.graded_task = self.exercise_task
        self.reference_shown = with_reference
        self._draw()

    def toggle_reference(self) -> None:
        if self.last is not None:
            self.reference_shown = not self.reference_shown
            self._draw()

    def _draw(self) -> None:
        ev = self.last
        assert ev is not None, "drawn only after show()"
        lines = Text()
        if self.previous:
            lines.append(f"Previous answer [{ev['question_id']}]\n", style="bold dim")
        lines.append_text(verdict_line(ev))
        if ev.get("exercise"):
            lines.append_text(exercise_lines(ev["exercise"]))
        else:
            for point in ev["matched"]:
                lines.append(f"\n ✓ {latex_to_text(point)}", style="green")
            for point in ev["missing"]:
                lines.append(f"\n ✗ {latex_to_text(point)}", style="red")
            for wrong in ev["misconceptions"]:
                lines.append(f"\n ! misconception: {latex_to_text(wrong)}", style="yellow")
            if ev.get("flags"):
                lines.append(f"\n flags: {', '.join(ev['flags'])}", style="dim")
        reference = ev["reference"] or self.graded_task
        if self.reference_shown and reference:
            lines.append("\n\nReference: " if ev["reference"] else "\n\nTask: ", style="bold")
            lines.append(latex_to_text(reference))
        elif reference:
            lines.append(f"\n(ctrl+o shows the {'reference' if ev['reference'] else 'task'})", style="dim")
        self.update(lines)
        self.display = True


def exercise_lines(result: dict[str, Any]) -> Text:
    """Per-case ✓/✗; for the first failing case what it was given, expected and got; then the diagnosis."""
    lines = Text()
    detailed = False
    for case in result["cases"]:
        if case["passed"]:
            lines.append(f"\n ✓ {case['case']}", style="green")
            continue
        lines.append(f"\n ✗ {case['case']}", style="red")
        if case.get("error"):
            lines.append(f": {case['error']}", style="red")
        if not detailed:
            detailed = True
            for field in ("input", "expected", "got"):
                if case.get(field) is not None:
                    lines.append(f"\n     {field:<9}", style="bold")
                    lines.append(str(case[field]).replace("\n", "\n" + " " * 14))  # matrix rows stay aligned
    if result.get("message"):
        lines.append(f"\n {result['message']}", style="yellow")
    if result.get("hint"):
        lines.append("\n hint: ", style="bold yellow")
        lines.append(result["hint"])
    return lines


def mastery_label(topic: str, row: dict[str, Any], title: str = "") -> Text:
    """One topic's line: a mastery bar, how much of it has been seen, and the reviews due."""
    filled = round(row["mastery"] * 10)
    return Text.assemble(
        (f"{topic:22}", "bold"),
        ("█" * filled, "green"),
        ("░" * (10 - filled), "dim"),
        f" {row['mastery']:4.0%}  seen {row['seen']:>3}/{row['questions']:<3} due {row['due']:>3}  ",
        (title, "dim"),
    )


def progress_summary(report: dict[str, Any]) -> str:
    weakest = ", ".join(report.get("weakest", [])) or "—"
    streak = report.get("streak_days", 0)
    return (
        f"attempts {report.get('attempts', 0)} · streak {streak} day{'' if streak == 1 else 's'} · "
        f"due now {report.get('due_total', 0)} · weakest: {weakest}"
    )


def render_progress(report: dict[str, Any]) -> Text:
    text = Text(progress_summary(report), style="bold")
    for topic, row in sorted(report.get("topics", {}).items()):
        text.append("\n")
        text.append_text(mastery_label(topic, row))
    text.append("\nF4 shows the plots.", style="dim")
    return text


def render_report(ev: dict[str, Any]) -> Table:
    """The end-of-exam (or diagnostic) report: the score, the time, and each question's verdict and reference.

    Cells are Text, not str, so that brackets in an answer (``[h_{t-1}, x_t]``) are not read as Rich markup.
    """
    name = "Exam" if ev["mode"] == "exam" else "Diagnostic"
    took = clock(ev["elapsed_s"]) + (f" of {clock(ev['time_limit_s'])}" if ev.get("time_limit_s") else "")
    if ev.get("timed_out"):
        took += ", time ran out"
    elif ev.get("finished_early"):
        took += ", ended early"
    # The score closes the table: the transcript scrolls to its end, past a long table's top.
    table = Table(
        title=f"{name} report",
        caption=f"{name} score: {ev['correct']}/{ev['total']} correct, {ev['answered']} answered · time {took}",
        title_style="bold",
        caption_style="bold",
        expand=True,
    )
    table.add_column("#", justify="right", width=2)
    table.add_column("question", ratio=2)
    table.add_column("verdict", width=10)
    table.add_column("reference answer", ratio=4)
    for i, row in enumerate(ev["results"], 1):
        table.add_row(
            str(i),
            Text.assemble((f"{row['topic']} ", "dim"), latex_to_text(row["question"])),
            Text(row["verdict"], style=VERDICT_STYLE.get(row["verdict"], "")),
            Text(" ".join(latex_to_text(row["reference"]).split())),  # authored answers are hard-wrapped
        )
    return table


class Transcript(VerticalScroll):
    """The chat: learner lines, tutor replies streamed as Markdown, tool results and reports as tables."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._live: StreamingReply | None = None

    def _add(self, widget: Widget) -> None:
        self._live = None
        self.mount(widget)
        self.scroll_end(animate=False)

    def add_learner(self, text: str) -> None:
        self._add(Static(Text(f"you: {text}", style="bold cyan"), classes="learner"))

    def add_note(self, text: str, style: str = "dim") -> None:
        self._add(Static(Text(text, style=style), classes="note"))

    def add_markdown(self, text: str) -> None:
        self._add(Static(markdown(latex_to_text(text, markdown=True)), classes="tutor"))

    def add_grade(self, ev: dict[str, Any]) -> None:
        """A grade as one line, kept in the history: the grade panel shows only the latest one."""
        self._add(Static(Text.assemble((f"grade [{ev['question_id']}] ", "dim"), verdict_line(ev)), classes="note"))

    def add_tool(self, ev: dict[str, Any]) -> None:
        self._add(ToolResult(ev, classes="tool"))

    def add_report(self, ev: dict[str, Any]) -> None:
        self._add(Static(render_report(ev), classes="tool"))

    def add_progress(self, report: dict[str, Any]) -> None:
        self._add(Static(render_progress(report), classes="note"))

    def stream_token(self, text: str) -> None:
        if self._live is None:
            self._live = StreamingReply(classes="tutor")
            self.mount(self._live)
        self._live.add(text)
        self.scroll_end(animate=False)

    def end_stream(self) -> None:
        self._live = None


class StreamingReply(Static):
    """The tutor's reply as it is written: the Markdown is re-rendered as tokens arrive (the model quotes the notes'
    LaTeX too, made readable like theirs)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("", **kwargs)
        self.source = ""

    def add(self, text: str) -> None:
        self.source += text
        self.update(markdown(latex_to_text(self.source, markdown=True)))


class ToolResult(Static):
    """A reference-implementation result: the call, the working, and every field (matrices as tables)."""

    def __init__(self, ev: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ev = ev

    def on_mount(self) -> None:
        self.update(render_tool_result(self.ev))


def render_tool_result(ev: dict[str, Any]) -> Table:
    args = ", ".join(f"{k}={v}" for k, v in ev["args"].items())
    table = Table(title=f"{ev['name']}({args})"[:200], show_header=False, expand=True)
    table.add_column("field", style="bold")
    table.add_column("value")
    result = ev["result"]
    for step in result.get("explanation", []):
        table.add_row("·", Text(str(step)))
    for key, value in result.items():
        if key != "explanation":
            table.add_row(key, _format_value(value))
    return table


def _format_value(value: Any) -> Any:
    if isinstance(value, list) and value and all(isinstance(r, list) for r in value):
        grid = Table(show_header=False, box=None, padding=(0, 1))
        for row in value[:12]:
            grid.add_row(*[f"{x:.4g}" if isinstance(x, float) else str(x) for x in row[:12]])
        return grid
    if isinstance(value, float):
        return f"{value:.6g}"
    return Text(str(value)[:400])  # Text: brackets in a value are not markup


class SourcesPanel(Vertical):
    """The passages behind the last cited answer; select one to read it in full."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.citations: list[dict[str, Any]] = []

    def compose(self) -> ComposeResult:
        yield Label("Sources", classes="panel-title")
        yield Label(
            "Ask a follow-up question (e.g. “why does the forget gate use a sigmoid?”) and the passages "
            "behind the answer appear here.",
            id="sources-empty",
            classes="hint",
        )
        yield ListView(id="source-list")

    def show(self, citations: list[dict[str, Any]]) -> None:
        self.citations = citations
        self.query_one("#sources-empty").display = not citations
        lst = self.query_one(ListView)
        lst.clear()
        for c in citations:
            # The heading's last part tells passages of one file apart; the full path is in the passage view.
            section = c["heading"].split(" > ")[-1]
            lst.append(ListItem(Label(Text.assemble(f"[{c['n']}] {section}\n", (f"    {c['source']}", "dim")))))
        lst.index = 0 if citations else None  # enter on the focused list then opens [1]
