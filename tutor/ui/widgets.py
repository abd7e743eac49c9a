"""Study-screen parts. Pure rendering: they are fed agent events and know nothing about models or the DB."""

from __future__ import annotations

from typing import Any

from rich.markdown import Markdown as RichMarkdown
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Label, ListItem, ListView, Markdown, Static

VERDICT_STYLE = {"correct": "bold green", "partial": "bold yellow", "incorrect": "bold red"}


class QuestionCard(Static):
    """The current question with its topic, difficulty and due state."""

    def show(self, ev: dict[str, Any]) -> None:
        stars = "★" * int(ev["difficulty"]) + "☆" * (3 - int(ev["difficulty"]))
        where = f" · {ev['number']}/{ev['total']}" if ev.get("total") else ""
        head = Text.assemble(
            (f" {ev['topic']} ", "reverse"), f"  {stars}  ", (ev["due"], "italic"), where, f"  [{ev['id']}]"
        )
        self.update(Text.assemble(head, "\n\n", (ev["text"], "bold")))


class GradePanel(Static):
    """Verdict, score, matched and missing key points, misconceptions; the reference on request."""

    def show(self, ev: dict[str, Any], *, with_reference: bool = False) -> None:
        self.last = ev
        verdict = ev["verdict"]
        lines = Text.assemble(
            (f" {verdict.upper()} ", f"reverse {VERDICT_STYLE.get(verdict, '')}"), f"  score {ev['score']:.0%}"
        )
        if ev.get("hints_used"):
            lines.append(f"  (credit {ev['credit']:.0%} after {ev['hints_used']} hint(s))")
        for point in ev["matched"]:
            lines.append(f"\n ✓ {point}", style="green")
        for point in ev["missing"]:
            lines.append(f"\n ✗ {point}", style="red")
        for wrong in ev["misconceptions"]:
            lines.append(f"\n ! misconception: {wrong}", style="yellow")
        if ev.get("flags"):
            lines.append(f"\n flags: {', '.join(ev['flags'])}", style="dim")
        if with_reference:
            lines.append("\n\nReference: ", style="bold")
            lines.append(ev["reference"])
        else:
            lines.append("\n(ctrl+o shows the reference)", style="dim")
        self.update(lines)
        self.display = True

    def toggle_reference(self) -> None:
        if getattr(self, "last", None):
            self.show(self.last, with_reference=not getattr(self, "_ref_shown", False))
            self._ref_shown = not getattr(self, "_ref_shown", False)


class Transcript(VerticalScroll):
    """The chat: learner lines, tutor replies streamed as Markdown, tool results as tables."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._live: StreamingReply | None = None

    def add_learner(self, text: str) -> None:
        self._live = None
        self.mount(Static(Text(f"you: {text}", style="bold cyan"), classes="learner"))
        self.scroll_end(animate=False)

    def add_note(self, text: str, style: str = "dim") -> None:
        self._live = None
        self.mount(Static(Text(text, style=style), classes="note"))
        self.scroll_end(animate=False)

    def add_markdown(self, text: str) -> None:
        self._live = None
        self.mount(Markdown(text, classes="tutor"))
        self.scroll_end(animate=False)

    def stream_token(self, text: str) -> None:
        if self._live is None:
            self._live = StreamingReply(classes="tutor")
            self.mount(self._live)
        self._live.add(text)
        self.scroll_end(animate=False)

    def end_stream(self) -> None:
        self._live = None

    def add_tool(self, ev: dict[str, Any]) -> None:
        self._live = None
        self.mount(ToolResult(ev, classes="tool"))
        self.scroll_end(animate=False)


class StreamingReply(Static):
    """The tutor's reply as it is written: the Markdown is re-rendered as tokens arrive."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("", **kwargs)
        self.source = ""

    def add(self, text: str) -> None:
        self.source += text
        self.update(RichMarkdown(self.source))


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
        table.add_row("·", str(step))
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
    return str(value)[:400]


class SourcesPanel(Vertical):
    """The passages behind the last cited answer; select one to read it in full."""

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
            lst.append(ListItem(Label(f"[{c['n']}] {c['source']}\n    {c['heading']}"[:120])))
