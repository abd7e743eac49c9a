"""Grade a learner's solution: run it in the sandbox on the exercise's cases and compare with the reference."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from tutor.errors import BadInput
from tutor.exercises.catalog import EXERCISES, Case, Exercise
from tutor.exercises.sandbox import Limits, RunResult, run_solution


@dataclass
class ExerciseResult:
    exercise: str
    verdict: str  # pass | fail | error | timeout | killed
    passed: int
    failed: int
    cases: list[dict[str, Any]] = field(default_factory=list)
    hint: str = ""
    message: str = ""
    stdout: str = ""
    isolation: dict[str, str] = field(default_factory=dict)  # what the sandbox had in effect (see sandbox.py)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def score(self) -> float:
        total = self.passed + self.failed
        return self.passed / total if total else 0.0

    @property
    def answer_verdict(self) -> str:
        """The verdict as the progress DB records answers: correct, partial or incorrect."""
        return "correct" if self.verdict == "pass" else "partial" if self.passed else "incorrect"


def get_exercise(name: str) -> Exercise:
    if name not in EXERCISES:
        raise BadInput(f"unknown exercise {name!r}", hint="`tutor exercise --list` shows them all")
    return EXERCISES[name]


def _short(value: Any, limit: int = 160) -> str:
    """A value as numpy prints it: a 2-D result reads as a matrix, one row per line."""
    text = repr(value) if isinstance(value, str) else np.array2string(np.asarray(value), precision=4, threshold=20)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _short_args(case: Case) -> str:
    """A case's arguments on one line: (arg, arg, name=value)."""
    parts = [_short(a).replace("\n", "") for a in case["args"]]
    parts += [f"{k}={_short(v)}".replace("\n", "") for k, v in case.get("kwargs", {}).items()]
    return "(" + ", ".join(parts) + ")"


def _call(fn: Any, case: Case) -> Any:
    return fn(*case["args"], **case.get("kwargs", {}))


def _matches(got: Any, expected: Any, ex: Exercise) -> tuple[bool, str]:
    if got is None:
        return False, "no output"
    g, e = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    if g.shape != e.shape:
        return False, f"shape {g.shape}, expected {e.shape}"
    if not np.all(np.isfinite(g)) and np.all(np.isfinite(e)):
        return False, "contains nan or inf"
    if not np.allclose(g, e, rtol=ex.rtol, atol=ex.atol, equal_nan=True):
        return False, f"max abs difference {np.max(np.abs(g - e)):.3g}"
    return True, ""


def grade_submission(name: str, source: str, limits: Limits | None = None) -> ExerciseResult:
    ex = get_exercise(name)
    if not source.strip():
        raise BadInput("the solution file is empty")
    cases = ex.cases()
    expected = [_call(ex.reference, c) for c in cases]
    run: RunResult = run_solution(source, ex.function, cases, limits)
    if run.status != "ok":  # timeout, killed or error: the verdict is the run's status
        return ExerciseResult(
            name,
            run.status,
            0,
            len(cases),
            hint=_run_hint(run, ex),
            message=run.message,
            stdout=run.stdout,
            isolation=run.isolation,
        )
    rows: list[dict[str, Any]] = []
    first_failure: int | None = None
    for i, (case, want) in enumerate(zip(cases, expected, strict=True)):
        result = run.cases[i] if i < len(run.cases) else {"output": None, "error": "not run"}
        ok, why = (False, result["error"]) if result["error"] else _matches(result["output"], want, ex)
        rows.append(
            {
                "case": case.get("label", f"case {i + 1}"),
                "passed": ok,
                "input": _short_args(case),
                "expected": _short(want),
                "got": _short(result["output"]) if result["output"] is not None else None,
                "error": why if not ok else "",
            }
        )
        if not ok and first_failure is None:
            first_failure = i
    passed = sum(r["passed"] for r in rows)
    failed = len(rows) - passed
    if failed == 0:
        return ExerciseResult(name, "pass", passed, 0, rows, stdout=run.stdout, isolation=run.isolation)
    assert first_failure is not None
    hint = _diagnose(
        ex,
        cases[first_failure],
        run.cases[first_failure] if first_failure < len(run.cases) else None,
        rows[first_failure],
    )
    all_errors = all(r["got"] is None for r in rows)  # nothing came back at all: an error, not a wrong answer
    verdict = "error" if all_errors else "fail"
    return ExerciseResult(name, verdict, passed, failed, rows, hint=hint, stdout=run.stdout, isolation=run.isolation)


def _diagnose(ex: Exercise, case: Case, result: dict[str, Any] | None, row: dict[str, Any]) -> str:
    """The likeliest bug: a known buggy variant that reproduces the learner's output, else what the failure shows."""
    got = result.get("output") if result else None
    if got is not None:
        for hint, buggy in ex.bugs.items():
            try:
                with np.errstate(all="ignore"):
                    if _matches(got, _call(buggy, case), ex)[0]:
                        return hint
            except (ValueError, TypeError, ArithmeticError, IndexError):
                continue
    raised = result.get("error") if result else None
    if raised and "could not be broadcast" in raised:
        return (
            f"Broadcasting failed on '{row['case']}' ({raised}). A reduction such as sum, max or mean over an axis "
            "drops that axis; pass keepdims=True so the result lines up with the input."
        )
    if raised:
        return f"Your function raised {raised} on the case '{row['case']}'."
    error = row["error"]
    if error.startswith("shape"):
        return f"Check the output shape ({error}); `{ex.signature}` should return the same shape as the reference."
    if "nan or inf" in error:
        return "Your output has nan/inf where the reference is finite: look at numerical stability (large inputs)."
    return f"First mismatch on '{row['case']}': expected {row['expected']}, got {row['got']}."


def _run_hint(run: RunResult, ex: Exercise) -> str:
    if run.status == "timeout" or "CPU time" in run.message:
        return "Look for a loop that never ends; every case should finish in milliseconds."
    if run.status == "killed":
        return "Your solution used too much memory or CPU; avoid huge intermediate arrays."
    if "not allowed" in run.message:
        return "Exercises run with numpy and the standard library only: no files, network, processes or threads."
    return f"Fix the error above; `{ex.signature}` must be defined at the top level of your file."
