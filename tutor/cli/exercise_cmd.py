"""`tutor exercise`: implement interview classics; your code runs in a sandbox against the reference tools."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("exercise", help="List code exercises, show one, or grade your solution file in a sandbox.")(
        exercise_cmd
    )


def exercise_cmd(
    name: Annotated[str | None, typer.Argument(help="Exercise name (see --list).")] = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="Your solution (.py) to grade.")] = None,
    list_all: Annotated[bool, typer.Option("--list", help="List every exercise.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    from tutor.errors import BadInput
    from tutor.exercises.catalog import EXERCISES
    from tutor.exercises.runner import get_exercise, grade_submission

    if list_all or name is None:
        rows = [
            {"name": e.name, "topic": e.topic, "signature": e.signature, "task": e.task} for e in EXERCISES.values()
        ]
        if json_out:
            typer.echo(json.dumps({"exercises": rows}, indent=2))
        else:
            for r in rows:
                typer.echo(f"{r['name']:20} {r['topic']:18} {r['signature']}")
            typer.echo("\nShow one with `tutor exercise NAME`; grade with `tutor exercise NAME --file solution.py`.")
        return
    ex = get_exercise(name)
    if file is None:
        if json_out:
            typer.echo(json.dumps({"name": ex.name, "topic": ex.topic, "signature": ex.signature, "task": ex.task}))
        else:
            typer.echo(f"{ex.name} ({ex.topic})\n\n  def {ex.signature}:\n\n{ex.task}\n")
            typer.echo("Only numpy and the standard library are available. Grade with --file solution.py.")
        return
    if not file.is_file():
        raise BadInput(f"solution file not found: {file}")
    try:
        source = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput(f"{file} is not UTF-8 text") from exc
    result = grade_submission(name, source)
    if json_out:
        typer.echo(json.dumps(result.as_dict(), indent=2))
    else:
        colour = {"pass": "green", "fail": "yellow"}.get(result.verdict, "red")
        typer.secho(f"{result.verdict.upper()}: {result.passed} passed, {result.failed} failed", fg=colour, bold=True)
        if result.message:
            typer.echo(result.message)
        for case in result.cases:
            mark = "✓" if case["passed"] else "✗"
            typer.echo(f"  {mark} {case['case']}")
            if not case["passed"]:
                typer.echo(
                    f"      input:    {case['input']}\n      expected: {case['expected']}\n"
                    f"      got:      {case['got']}"
                )
                if case["error"]:
                    typer.echo(f"      ({case['error']})")
        if result.hint:
            typer.echo(f"hint: {result.hint}")
    if result.verdict != "pass":
        raise typer.Exit(1)
