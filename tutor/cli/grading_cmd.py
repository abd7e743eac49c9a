"""`tutor grade` (one answer) and `tutor eval grading` (agreement with labelled answers)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tutor.cli.groups import eval_app

if TYPE_CHECKING:
    from tutor.backends.base import ChatBackend

ModeOption = Annotated[
    str, typer.Option("--mode", help="fast (no LLM), hybrid (LLM on doubtful answers) or llm (LLM only).")
]


def register(app: typer.Typer) -> None:
    app.command("grade", help="Grade one free-text answer against a reference and print the verdict and feedback.")(
        grade_cmd
    )
    eval_app.command("grading", help="Grade a file of labelled answers and report agreement, errors and latency.")(
        eval_grading_cmd
    )


def _backend(mode: str) -> ChatBackend | None:
    if mode == "fast":
        return None
    from tutor.cli.model_progress import load_chat_backend
    from tutor.config import get_settings

    return load_chat_backend(get_settings())


def _check_mode(mode: str) -> None:
    from tutor.errors import BadInput
    from tutor.grading import MODES

    if mode not in MODES:
        raise BadInput(f"unknown mode {mode!r}; use one of {', '.join(MODES)}")


def grade_cmd(
    question: Annotated[str, typer.Option("--question", "-q", help="The question that was asked.")],
    reference: Annotated[str, typer.Option("--reference", "-r", help="The reference (model) answer.")],
    answer: Annotated[str, typer.Option("--answer", "-a", help="The learner's answer.")],
    key_point: Annotated[
        list[str] | None, typer.Option("--key-point", "-k", help="A key point the answer must make (repeatable).")
    ] = None,
    misconception: Annotated[
        list[str] | None, typer.Option("--misconception", "-m", help="A known wrong statement (repeatable).")
    ] = None,
    mode: ModeOption = "fast",
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    from tutor.grading import grade

    _check_mode(mode)
    result = grade(
        question,
        reference,
        answer,
        key_points=key_point or None,
        misconceptions=misconception or None,
        mode=mode,
        backend=_backend(mode),
    )
    if json_out:
        typer.echo(json.dumps(result.as_dict()))
        return
    colour = {"correct": "green", "partial": "yellow"}.get(result.verdict, "red")
    typer.secho(f"{result.verdict.upper()}  score {result.score:.2f}  confidence {result.confidence:.2f}", fg=colour)
    typer.echo(result.feedback)
    for title, items in (("matched", result.matched), ("missing", result.missing)):
        for item in items:
            typer.echo(f"  {title}: {item}")
    for item in result.misconceptions:
        typer.echo(f"  misconception: {item}")
    if result.flags:
        typer.echo(f"  flags: {', '.join(result.flags)}")


def eval_grading_cmd(
    cases: Annotated[
        Path | None,
        typer.Option("--cases", help="JSONL file of labelled answers (default: the frozen test split)."),
    ] = None,
    mode: ModeOption = "fast",
    sample: Annotated[
        int | None, typer.Option("--sample", help="Grade only N lines, spread evenly over the file.", min=1)
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    from tutor.grading.dataset import CASES_DIR
    from tutor.grading.evaluate import load_cases, report, run

    _check_mode(mode)
    loaded = load_cases(cases or CASES_DIR / "test.jsonl")
    if sample is not None and sample < len(loaded):
        loaded = [loaded[i * len(loaded) // sample] for i in range(sample)]
    backend = _backend(mode)
    with _progress(len(loaded)) as advance:
        grades, latencies = run(loaded, mode=mode, backend=backend, on_progress=advance)
    result = {"mode": mode, "cases": str(cases or CASES_DIR / "test.jsonl"), **report(loaded, grades, latencies)}
    if json_out:
        typer.echo(json.dumps(result))
    else:
        _print_report(result)


class _progress:
    """A progress bar on stderr for runs long enough to need one; stdout stays clean for --json."""

    def __init__(self, total: int) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self.bar = Progress(
            "grading",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
            disable=total < 20,
        )
        self.task = self.bar.add_task("grading", total=total)

    def __enter__(self) -> Any:
        self.bar.start()
        return lambda done: self.bar.update(self.task, completed=done)

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()


def _print_report(r: dict[str, Any]) -> None:
    def fmt(v: Any) -> str:
        return "—" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)

    typer.echo(f"{r['n']} answers from {r['cases']} ({r['mode']} mode, labels: {'/'.join(r['labels'])})")
    for key in ("accuracy", "macro_f1", "weighted_f1", "qwk", "false_correct_rate", "pearson", "rmse"):
        typer.echo(f"  {key:20} {fmt(r[key])}")
    lat = r["latency_ms"]
    typer.echo(f"  {'latency ms':20} p50 {lat['p50']:.1f}  p95 {lat['p95']:.1f}  max {lat['max']:.1f}")
    if r.get("confusion"):
        labels = r["labels"]
        typer.echo("  confusion (rows gold, columns graded): " + " ".join(f"{lbl[:9]:>9}" for lbl in labels))
        for lbl, row in zip(labels, r["confusion"], strict=True):
            typer.echo(f"    {lbl:>9} " + " ".join(f"{v:>9}" for v in row))
    if r.get("per_kind"):
        typer.echo("  per kind: n, accuracy, share graded correct")
        for kind, k in r["per_kind"].items():
            typer.echo(f"    {kind:16} {k['n']:>4}  {k['accuracy']:.2f}  {k['graded_correct']:.2f}")
