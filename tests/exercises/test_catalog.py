"""Every exercise: its reference runs, a correct solution passes, and a known bug earns its hint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tutor.cli import app
from tutor.exercises.catalog import EXERCISES
from tutor.exercises.runner import grade_submission

SOLUTIONS = {
    "softmax": "import numpy as np\ndef softmax(x, axis=-1):\n    z = x - np.max(x, axis=axis, keepdims=True)\n"
    "    e = np.exp(z)\n    return e / e.sum(axis=axis, keepdims=True)\n",
    "layer_norm": "import numpy as np\ndef layer_norm(x, gamma, beta, eps=1e-5):\n    m = x.mean(-1, keepdims=True)\n"
    "    v = x.var(-1, keepdims=True)\n    return (x - m) / np.sqrt(v + eps) * gamma + beta\n",
    "attention": "import numpy as np\ndef attention(q, k, v, mask=None):\n    s = q @ k.T / np.sqrt(q.shape[-1])\n"
    "    if mask is not None:\n        s = np.where(mask > 0, s, -np.inf)\n    s = s - s.max(-1, keepdims=True)\n"
    "    w = np.exp(s)\n    return (w / w.sum(-1, keepdims=True)) @ v\n",
    "causal_mask": "import numpy as np\ndef causal_mask(n):\n    return np.tril(np.ones((n, n)))\n",
    "kv_cache": "def kv_cache_bytes(n_layers, n_kv_heads, head_dim, seq_len, batch=1, bytes_per_value=2):\n"
    "    return 2 * n_layers * n_kv_heads * head_dim * seq_len * batch * bytes_per_value\n",
    "regret_matching": "import numpy as np\ndef regret_matching(r):\n    p = np.maximum(r, 0)\n"
    "    return p / p.sum() if p.sum() > 0 else np.ones(len(r)) / len(r)\n",
}
BUGGY = {
    "softmax": (
        "import numpy as np\ndef softmax(x, axis=-1):\n    e = np.exp(x)\n"
        "    return e / e.sum(axis=axis, keepdims=True)\n",
        "Subtract the max",
    ),
    "attention": (
        "import numpy as np\ndef attention(q, k, v, mask=None):\n    s = q @ k.T\n    if mask is not None:\n"
        "        s = np.where(mask > 0, s, -np.inf)\n    w = np.exp(s - s.max(-1, keepdims=True))\n"
        "    return (w / w.sum(-1, keepdims=True)) @ v\n",
        "sqrt(d_k)",
    ),
    "layer_norm": (
        "import numpy as np\ndef layer_norm(x, gamma, beta, eps=1e-5):\n    m = x.mean(0, keepdims=True)\n"
        "    v = x.var(0, keepdims=True)\n    return (x - m) / np.sqrt(v + eps) * gamma + beta\n",
        "not over the batch",
    ),
}


def test_at_least_fifteen_exercises_across_topics() -> None:
    assert len(EXERCISES) >= 15 and len({e.topic for e in EXERCISES.values()}) >= 10


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_reference_answers_every_case(name: str) -> None:
    ex = EXERCISES[name]
    for case in ex.cases():
        ex.reference(*case["args"], **case.get("kwargs", {}))


@pytest.mark.parametrize("name", sorted(SOLUTIONS))
def test_correct_solution_passes(name: str) -> None:
    result = grade_submission(name, SOLUTIONS[name])
    assert result.verdict == "pass", result.as_dict()


@pytest.mark.parametrize("name", sorted(BUGGY))
def test_known_bug_fails_with_its_hint(name: str) -> None:
    source, hint = BUGGY[name]
    result = grade_submission(name, source)
    assert result.verdict == "fail" and hint in result.hint, result.as_dict()
    failing = next(c for c in result.cases if not c["passed"])
    assert failing["expected"] and failing["input"]


def test_cli_grades_a_file(tmp_path: Path) -> None:
    path = tmp_path / "solution.py"
    path.write_text(SOLUTIONS["softmax"])
    result = CliRunner().invoke(app, ["exercise", "softmax", "--file", str(path), "--json"])
    data = json.loads(result.output)
    assert result.exit_code == 0 and data["verdict"] == "pass" and data["failed"] == 0
    assert {"verdict", "passed", "failed", "cases", "hint"} <= set(data)
    listing = json.loads(CliRunner().invoke(app, ["exercise", "--list", "--json"]).output)
    assert {"softmax", "layer_norm", "attention"} <= {e["name"] for e in listing["exercises"]}


def test_cli_reports_an_infinite_loop(tmp_path: Path) -> None:
    path = tmp_path / "loop.py"
    path.write_text("def softmax(x, axis=-1):\n    while True:\n        pass\n")
    result = CliRunner().invoke(app, ["exercise", "softmax", "--file", str(path), "--json"])
    assert json.loads(result.output)["verdict"] in ("killed", "timeout") and result.exit_code == 1
