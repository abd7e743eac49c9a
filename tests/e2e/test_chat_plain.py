"""`tutor chat --plain --json` end to end: the real embedder, FAISS index and the tiny GGUF model."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tutor.backends.models import tiny_model_path

pytestmark = pytest.mark.integration
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"
RIGHT = (
    "Vanilla RNNs suffer from vanishing gradients over long sequences, because backpropagation through time "
    "multiplies many Jacobians. The LSTM cell state is updated additively, which lets gradients flow across many "
    "time steps, and gates control what is forgotten, written and exposed."
)


@pytest.fixture
def env(tmp_path: Path, isolated_home: Path) -> dict[str, str]:
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURE, corpus)
    environ = {
        **os.environ,
        "TUTOR_CORPUS_DIR": str(corpus),
        "TUTOR_MODEL": str(tiny_model_path()),
        "TUTOR_N_CTX": "4096",
        "TUTOR_MAX_TOKENS": "48",
    }
    subprocess.run(
        [sys.executable, "-m", "tutor.cli", "index", "build"], env=environ, check=True, capture_output=True, timeout=600
    )
    return environ


def chat(env: dict[str, str], lines: list[str]) -> list[dict[str, Any]]:
    proc = subprocess.run(
        [sys.executable, "-m", "tutor.cli", "chat", "--plain", "--json", "--topic", "lstm"],
        input="\n".join(lines) + "\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]


def attempts(home: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(home / "progress.sqlite3") as conn:
        return conn.execute("SELECT question_id, verdict FROM attempts ORDER BY id").fetchall()


def test_full_study_loop_then_resume(env: dict[str, str], isolated_home: Path) -> None:
    events = chat(
        env,
        [
            "LSTMs are faster because they use convolutions instead of recurrence.",
            "/hint",
            RIGHT,
            "Can you explain what the forget gate does?",
            "compute lora_params d_in=64 d_out=64 rank=4",
            "/quit",
        ],
    )
    kinds = [e["type"] for e in events]
    assert kinds[0] == "question" and events[0]["id"] == "lstm-001"
    grades = [e for e in events if e["type"] == "grade"]
    assert grades[0]["verdict"] != "correct" and grades[1]["verdict"] == "correct"
    assert any(e["type"] == "hint" and e["level"] == 1 for e in events)
    assert "token" in kinds, "feedback streams token by token"
    answer_at = kinds.index("answer")
    answer = events[answer_at]
    assert answer["citations"] and answer["citations"][0]["source"] in ("lstm.md", "lora.md")
    assert all(" Q lstm-002:" not in c["heading"] for c in answer["citations"]), "its own reference is withheld"
    assert "question" not in kinds[answer_at : kinds.index("tool")], "a follow-up stays on the question"
    tool = next(e for e in events if e["type"] == "tool")
    assert tool["name"] == "lora_params" and tool["result"]["params"] == 4 * (64 + 64)
    recorded = attempts(isolated_home)
    assert [v for _, v in recorded][-1] == "correct" and len(recorded) == 2

    again = chat(env, ["/progress", "/quit"])
    assert again[0]["type"] == "question"
    progress = next(e for e in again if e.get("progress"))["progress"]
    assert progress["attempts"] == 2 and attempts(isolated_home) == recorded


def test_kill_mid_session_loses_nothing_and_resumes(env: dict[str, str], isolated_home: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tutor.cli", "chat", "--plain", "--json", "--topic", "lstm"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    assert proc.stdin and proc.stdout
    first = json.loads(proc.stdout.readline())
    proc.stdin.write("The forget gate adds new information to the cell.\n")
    proc.stdin.flush()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if json.loads(proc.stdout.readline())["type"] == "grade":
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert len(attempts(isolated_home)) == 1, "the graded attempt was committed before the kill"
    resumed = chat(env, ["/quit"])
    assert resumed[0]["type"] == "info" and "Resuming" in resumed[0]["message"]
    # The turn the kill interrupted (its feedback was streaming) is finished, then the same question is shown.
    assert len([e for e in resumed if e["type"] == "grade"]) == 1
    assert next(e for e in resumed if e["type"] == "question")["id"] == first["id"]
    assert len(attempts(isolated_home)) == 1, "nothing recorded twice"


def test_code_exercise_graded_in_chat(env: dict[str, str], isolated_home: Path) -> None:
    solution = [
        "/exercise softmax",
        "```python",
        "import numpy as np",
        "def softmax(x, axis=-1):",
        "    e = np.exp(x)",
        "    return e / e.sum(axis=axis, keepdims=True)",
        "```",
        "/quit",
    ]
    events = chat(env, solution)
    handed = next(e for e in events if e["type"] == "question" and e["kind"] == "code")
    assert handed["id"] == "exercise:softmax"
    grade = next(e for e in events if e["type"] == "grade")
    cases = grade["exercise"]["cases"]
    assert grade["verdict"] == "partial" and any(not c["passed"] for c in cases) and any(c["passed"] for c in cases)
    assert "max" in grade["exercise"]["hint"]
    assert ("exercise:softmax", "partial") in attempts(isolated_home)
