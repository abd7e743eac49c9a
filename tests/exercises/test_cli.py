"""`tutor exercise`: listing, grading, JSON on bad input, matrices in text output, attempts in the progress DB."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tutor.cli import app
from tutor.config import get_settings
from tutor.session.store import ProgressStore

GOOD = (
    "import numpy as np\ndef softmax(x, axis=-1):\n    e = np.exp(x - np.max(x, axis=axis, keepdims=True))\n"
    "    return e / e.sum(axis=axis, keepdims=True)\n"
)
COLUMNS = (  # normalises down axis 0: fails only on the 2-D rows case, whose output is a matrix
    "import numpy as np\ndef softmax(x, axis=-1):\n    e = np.exp(x - x.max(0, keepdims=True))\n"
    "    return e / e.sum(0, keepdims=True)\n"
)
CONTRACT = {"verdict", "passed", "failed", "cases", "hint"}


def grade(tmp_path: Path, source: str | None, *extra: str) -> tuple[int, str]:
    path = tmp_path / "solution.py"
    if source is not None:
        path.write_text(source)
    result = CliRunner().invoke(app, ["exercise", "softmax", "--file", str(path), *extra])
    return result.exit_code, result.output


def attempts() -> list[dict[str, Any]]:
    store = ProgressStore(get_settings().db_path)
    try:
        return [dict(row) for row in store.attempts()]
    finally:
        store.close()


def test_cli_lists_and_grades_a_file(tmp_path: Path) -> None:
    code, output = grade(tmp_path, GOOD, "--json")
    data = json.loads(output)
    assert code == 0 and data["verdict"] == "pass" and data["failed"] == 0 and set(data) >= CONTRACT
    assert data["isolation"]["network"] in ("namespace", "socket-blocked")
    listing = json.loads(CliRunner().invoke(app, ["exercise", "--list", "--json"]).output)
    assert {"softmax", "layer_norm", "attention"} <= {e["name"] for e in listing["exercises"]}


def test_cli_reports_an_infinite_loop(tmp_path: Path) -> None:
    code, output = grade(tmp_path, "def softmax(x, axis=-1):\n    while True:\n        pass\n", "--json")
    assert json.loads(output)["verdict"] in ("killed", "timeout") and code == 1


@pytest.mark.parametrize(
    ("source", "message"), [("", "empty"), ("   \n", "empty"), (None, "not found")], ids=["empty", "blank", "missing"]
)
def test_cli_json_on_bad_input_is_still_json(tmp_path: Path, source: str | None, message: str) -> None:
    code, output = grade(tmp_path, source, "--json")
    data = json.loads(output)
    assert code != 0 and set(data) >= CONTRACT and data["verdict"] == "error" and message in data["message"]
    assert data["passed"] == 0 and data["cases"] == []
    assert attempts() == []  # nothing was graded, so nothing is recorded


def test_cli_json_for_an_unknown_exercise(tmp_path: Path) -> None:
    path = tmp_path / "solution.py"
    path.write_text(GOOD)
    result = CliRunner().invoke(app, ["exercise", "no_such_thing", "--file", str(path), "--json"])
    data = json.loads(result.output)
    assert result.exit_code != 0 and data["verdict"] == "error" and "unknown exercise" in data["message"]


def test_cli_text_output_prints_a_matrix_as_rows(tmp_path: Path) -> None:
    code, output = grade(tmp_path, COLUMNS)
    assert code == 1 and "down axis 0" in output
    lines = output.splitlines()
    got = next(i for i, line in enumerate(lines) if line.strip().startswith("got:"))
    assert lines[got].rstrip().endswith("]") and lines[got].split("got:")[1].strip().startswith("[[")
    column = lines[got].index("[[")
    assert lines[got + 1].index("[") == column + 1, "matrix rows should line up under the first"


def test_cli_records_each_attempt_once(tmp_path: Path) -> None:
    assert grade(tmp_path, GOOD)[0] == 0
    rows = attempts()
    assert len(rows) == 1
    row = rows[0]
    assert row["question_id"] == "exercise:softmax" and row["topic"] == "losses" and row["verdict"] == "correct"
    assert row["score"] == 1.0 and json.loads(row["flags"]) == ["exercise_pass"] and row["answer"] == GOOD
    assert grade(tmp_path, COLUMNS, "--json")[0] == 1
    rows = attempts()
    assert len(rows) == 2 and rows[1]["verdict"] == "partial" and 0 < rows[1]["score"] < 1
    assert len({r["attempt_key"] for r in rows}) == 2
