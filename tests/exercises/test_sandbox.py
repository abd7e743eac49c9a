"""Each way a solution can misbehave gets a clear verdict and leaves the tutor responsive."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from tutor.exercises.sandbox import Limits, run_solution

FAST = Limits(wall_seconds=4.0, cpu_seconds=2, memory_mb=1024)
CASE = [{"args": [np.array([1.0, 2.0])]}]


def run(body: str, limits: Limits = FAST):  # type: ignore[no-untyped-def]
    return run_solution(body, "f", CASE, limits)


def test_good_solution_runs() -> None:
    out = run("import numpy as np\ndef f(x):\n    return np.exp(x) / np.exp(x).sum()\n")
    assert out.status == "ok" and out.cases[0]["output"] == pytest.approx([0.2689414, 0.7310586])


def test_infinite_cpu_loop_is_killed_by_the_cpu_limit() -> None:
    out = run("def f(x):\n    while True:\n        pass\n")
    assert out.status == "killed" and "CPU" in out.message


def test_sleeping_forever_hits_the_wall_clock_timeout() -> None:
    start = time.monotonic()
    out = run("import time\ndef f(x):\n    time.sleep(60)\n")
    assert out.status == "timeout" and time.monotonic() - start < 10


def test_allocating_50_gb_is_a_memory_verdict() -> None:
    out = run("import numpy as np\ndef f(x):\n    return np.ones(50 * 2**30 // 8)\n")
    assert out.status == "killed" and "memory" in out.message


def test_fork_is_blocked() -> None:
    out = run("import os\ndef f(x):\n    os.fork()\n    return x\n")
    assert "os.fork is not allowed" in out.cases[0]["error"]


def test_subprocess_and_sockets_are_blocked() -> None:
    assert "not allowed" in run("import subprocess\ndef f(x):\n    return x\n").message
    out = run("def f(x):\n    import socket\n    return socket.create_connection(('127.0.0.1', 80))\n")
    assert "not allowed" in out.cases[0]["error"]


def test_reading_the_tutors_files_is_blocked(isolated_home: Path) -> None:
    secret = isolated_home / "progress.sqlite3"
    secret.write_text("attempts")
    out = run(f"def f(x):\n    return open({str(secret)!r}).read()\n")
    assert "off limits" in out.cases[0]["error"]
    out = run(f"import os\ndef f(x):\n    return os.listdir({str(isolated_home)!r})\n")
    assert "not allowed" in out.cases[0]["error"]


def test_printing_megabytes_is_capped() -> None:
    out = run("def f(x):\n    print('x' * 5_000_000)\n    return x\n")
    assert out.status == "ok" and len(out.stdout) < 100_000 and "dropped" in out.stdout


def test_only_numpy_beyond_the_standard_library() -> None:
    out = run("import torch\ndef f(x):\n    return x\n")
    assert out.status == "error" and "only the standard library and numpy" in out.message


def test_syntax_error_is_reported() -> None:
    out = run("def f(x)\n    return x\n")
    assert out.status == "error" and "SyntaxError" in out.message


def test_huge_source_is_refused() -> None:
    assert run("x = 1\n" * 50_000).status == "error"
