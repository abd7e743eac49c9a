"""`tutor chat --plain` (headless study loop over stdin/stdout) and `tutor progress`."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from typing import Annotated, Any

import typer


def register(app: typer.Typer) -> None:
    app.command("chat", help="Study without the TUI: learner lines on stdin, tutor turns on stdout.")(chat_cmd)
    app.command("progress", help="Per-topic mastery, due reviews, streak and weakest topics.")(progress_cmd)


def chat_cmd(
    plain: Annotated[
        bool, typer.Option("--plain", help="Plain line-based mode (the only mode; kept for scripts).")
    ] = True,
    topic: Annotated[str | None, typer.Option("--topic", help="Study this topic (implies --mode learn).")] = None,
    mode: Annotated[str, typer.Option("--mode", help="review | learn | diagnostic | exam")] = "review",
    json_out: Annotated[bool, typer.Option("--json", help="One JSON event per line.")] = False,
    new: Annotated[
        bool, typer.Option("--new", help="Start a new session instead of resuming an unfinished one.")
    ] = False,
) -> None:
    """Slash commands: /next /hint /skip /reveal /compute /explain /ask QUESTION /topic NAME /exercise [NAME]
    /progress /quit.

    End of input saves and exits."""
    from tutor.cli.model_progress import load_chat_backend
    from tutor.config import get_settings
    from tutor.session.resources import Resources
    from tutor.session.study import StudySession

    settings = get_settings()
    if topic and mode == "review":
        mode = "learn"
    resources = Resources(settings, backend_factory=lambda: load_chat_backend(settings), wait=True)
    resources.start()
    session = StudySession(settings, resources, mode=mode, topic=topic, resume=not new)  # type: ignore[arg-type]
    render = _JsonRenderer() if json_out else _TextRenderer()
    for ev in session.start():
        render(ev)
    for text in learner_turns(sys.stdin):
        for ev in session.send(text):
            render(ev)
        if session.finished:
            break
        render.prompt()
    if not session.finished:  # end of input is a /quit: an exam still reports, and the learner hears it was saved
        for ev in session.send("/quit"):
            render(ev)
    session.close()
    render.end()


def learner_turns(lines: Iterable[str]) -> Iterator[str]:
    """One turn per line, except a ``` fenced block (pasted code), which is one turn with its fences."""
    block: list[str] | None = None
    for raw in lines:
        line = raw.rstrip("\n")
        if block is not None:
            block.append(line)
            if line.strip().startswith("```"):
                yield "\n".join(block)
                block = None
        elif line.strip().startswith("```"):
            block = [line]
        else:
            yield line
    if block:
        yield "\n".join(block)


class _JsonRenderer:
    def __call__(self, ev: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(ev, ensure_ascii=False) + "\n")
        sys.stdout.flush()

    def prompt(self) -> None:
        return None

    def end(self) -> None:
        return None


class _TextRenderer:
    def __init__(self) -> None:
        self.in_tokens = False

    def _line(self, text: str = "") -> None:
        if self.in_tokens:
            sys.stdout.write("\n")
            self.in_tokens = False
        sys.stdout.write(text + "\n")

    def __call__(self, ev: dict[str, Any]) -> None:
        kind = ev["type"]
        if kind == "token":
            sys.stdout.write(ev["text"])
            self.in_tokens = True
        elif kind == "question":
            where = f" {ev['number']}/{ev['total']}" if ev.get("total") else ""
            self._line(f"\n[{ev['topic']} · difficulty {ev['difficulty']} · {ev['due']}{where}] {ev['text']}")
        elif kind == "grade":
            self._line(f"→ {ev['verdict'].upper()} ({ev['score']:.0%})")
            if ev["missing"]:
                self._line("  missing: " + "; ".join(ev["missing"]))
            if ev["misconceptions"]:
                self._line("  misconception: " + "; ".join(ev["misconceptions"]))
        elif kind == "hint":
            self._line(f"hint {ev['level']}/3: {ev['text']}")
        elif kind == "reveal":
            self._line("Reference answer:\n" + ev["answer"])
        elif kind == "answer":
            for c in ev.get("citations", []):
                self._line(f"  [{c['n']}] {c['source']} — {c['heading']}")
        elif kind == "tool":
            self._line(f"{ev['name']}({json.dumps(ev['args'])})")
            for step in ev["result"].get("explanation", []):
                self._line(f"  {step}")
            shown = {k: v for k, v in ev["result"].items() if k != "explanation"}
            self._line("  = " + json.dumps(shown)[:800])
        elif kind == "report":
            timing = f" in {ev['elapsed_s'] / 60:.1f} min" + (" (time ran out)" if ev["timed_out"] else "")
            self._line(f"Result: {ev['correct']}/{ev['total']} correct, {ev['answered']} answered{timing}")
            for row in ev["results"]:
                self._line(f"  {row['verdict']:>10}  {row['question_id']}: {row['question']}")
                self._line("              " + row["reference"].replace("\n", " ")[:300])
        elif kind == "error":
            self._line(f"! {ev['message']}")
        elif kind == "info":
            if ev.get("progress"):
                self._line(json.dumps(ev["progress"], indent=2))
            else:
                self._line(ev["message"])
        sys.stdout.flush()

    def prompt(self) -> None:
        self._line()

    def end(self) -> None:
        self._line()


def progress_cmd(json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False) -> None:
    from tutor.config import get_settings
    from tutor.corpus.loader import load_corpus
    from tutor.session.store import ProgressStore

    settings = get_settings()
    corpus = load_corpus(settings.corpus_dir)
    store = ProgressStore(settings.db_path)
    report = store.progress_report({t.topic: len(t.questions) for t in corpus.topics})
    if json_out:
        typer.echo(json.dumps(report, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Progress · {report['attempts']} attempts · streak {report['streak_days']} days")
    for col in ("topic", "mastery", "seen", "due"):
        table.add_column(col)
    for name, row in report["topics"].items():
        bar = "█" * round(row["mastery"] * 10) + "·" * (10 - round(row["mastery"] * 10))
        table.add_row(name, f"{bar} {row['mastery']:.0%}", f"{row['seen']}/{row['questions']}", str(row["due"]))
    Console().print(table)
    if report["weakest"]:
        typer.echo("weakest: " + ", ".join(report["weakest"]))
