"""`tutor exercise`: implement interview classics; your code runs in a sandbox against the reference tools."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from tutor.exercises.runner import ExerciseResult


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
    from tutor.exercises.catalog import EXERCISES
    from tutor.exercises.runner import get_exercise

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
    if file is None:
        ex = get_exercise(name)
        if json_out:
            typer.echo(json.dumps({"name": ex.name, "topic": ex.topic, "signature": ex.signature, "task": ex.task}))
        else:
            typer.echo(f"{ex.name} ({ex.topic})\n\n  def {ex.signature}:\n\n{ex.task}\n")
            typer.echo("Only numpy and the standard library are available. Grade with --file solution.py.")
        return
    result = _grade_file(name, file, json_out)
    if json_out:
        typer.echo(json.dumps(result.as_dict(), indent=2))
    else:
        _print_result(result)
    if result.verdict != "pass":
        raise typer.Exit(1)


def _grade_file(name: str, file: Path, json_out: bool) -> ExerciseResult:
    """Grade the file and record the attempt; with --json, bad input is still one JSON object on stdout."""
    from tutor.errors import BadInput
    from tutor.exercises.runner import grade_submission

    try:
        if not file.is_file():
            raise BadInput(f"solution file not found: {file}")
        try:
            source = file.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise BadInput(f"{file} is not UTF-8 text") from exc
        result = grade_submission(name, source)
    except BadInput as exc:
        if not json_out:
            raise
        error = {"exercise": name, "verdict": "error", "passed": 0, "failed": 0, "cases": [], "hint": exc.hint}
        typer.echo(json.dumps({**error, "message": str(exc)}, indent=2))
        raise typer.Exit(2) from exc  # the exit code of every other input error
    _record_attempt(name, source, result)
    return result


def _record_attempt(name: str, source: str, result: ExerciseResult) -> None:
    """Store the attempt as a chat submission is stored (see the agent's code node): one AttemptRecord, same store.

    Each run is its own short session of mode "exercise", so the key is unique and one run records one row.
    """
    from tutor.agent.records import AttemptRecord, attempt_key
    from tutor.config import get_settings
    from tutor.errors import ProgressStoreError
    from tutor.exercises.runner import get_exercise
    from tutor.session.scheduler import record_reviewed_attempt
    from tutor.session.store import ProgressStore

    topic = get_exercise(name).topic
    session_id = uuid.uuid4().hex[:12]
    question_id = f"exercise:{name}"
    record = AttemptRecord(
        attempt_key=attempt_key(session_id, question_id, 0, source),
        session_id=session_id,
        question_id=question_id,
        topic=topic,
        answer=source,
        verdict=result.answer_verdict,
        score=result.score,
        flags=(f"exercise_{result.verdict}",),
        credit=round(result.score, 3),  # no hints in the CLI, so no hint penalty
        hints_used=0,
        seconds=0.0,  # unknown: the CLI cannot tell how long the learner worked on the file (rated Good, not Easy)
    )
    try:
        store = ProgressStore(get_settings().db_path)
        try:
            store.start_session(session_id, "exercise", topic)
            record_reviewed_attempt(store, record)
            store.end_session(session_id)
        finally:
            store.close()
    except ProgressStoreError as exc:  # the verdict still counts for the learner; say why it was not saved
        typer.secho(f"warning: attempt not recorded: {exc.user_message()}", fg="yellow", err=True)


def _print_result(result: ExerciseResult) -> None:
    colour = {"pass": "green", "fail": "yellow"}.get(result.verdict, "red")
    typer.secho(f"{result.verdict.upper()}: {result.passed} passed, {result.failed} failed", fg=colour, bold=True)
    if result.message:
        typer.echo(result.message)
    for case in result.cases:
        typer.echo(f"  {'✓' if case['passed'] else '✗'} {case['case']}")
        if not case["passed"]:
            for label in ("input", "expected", "got"):
                # Matrices print one row per line; indent the continuation rows under the first.
                value = str(case[label]).replace("\n", "\n" + " " * 16)
                typer.echo(f"      {label + ':':9} {value}")
            if case["error"]:
                typer.echo(f"      ({case['error']})")
    if result.hint:
        typer.echo(f"hint: {result.hint}")
