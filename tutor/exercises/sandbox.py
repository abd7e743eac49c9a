"""Run learner code in a separate, locked-down process.

Layers of protection, outermost first: a wall-clock timeout and process-group kill; rlimits on CPU time, address
space, file size, open files and processes; a fresh network namespace where the OS allows it (else the audit hook's
socket block is the only network barrier); an empty temp working dir and a minimal environment; and inside the child,
an audit hook (see harness.py) that blocks sockets, process creation, ctypes, non-numpy imports and file access
outside the temp dir. Learner code never runs in the tutor's process.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HARNESS = Path(__file__).with_name("harness.py")
CLONE_NEWNET = 0x40000000


@dataclass(frozen=True)
class Limits:
    wall_seconds: float = 10.0
    cpu_seconds: int = 5
    memory_mb: int = 1024
    file_mb: int = 8
    max_source_chars: int = 100_000


@dataclass
class RunResult:
    status: str  # "ok" | "timeout" | "killed" | "error"
    message: str = ""
    cases: list[dict[str, Any]] = field(default_factory=list)
    stdout: str = ""
    seconds: float = 0.0


def _limit_child(limits: Limits) -> None:
    """Runs in the child between fork and exec: every limit is set before learner code exists."""
    os.setsid()
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
    mem = limits.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    size = limits.file_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NPROC, (64, 64))
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).unshare(CLONE_NEWNET)  # no network at all, where permitted


def encode_arg(value: Any) -> Any:
    """Arrays travel as {"__array__": nested list} so the harness hands the solution a numpy array."""
    import numpy as np

    if isinstance(value, np.ndarray):
        return {"__array__": value.tolist()}
    return value


def run_solution(source: str, function: str, cases: list[dict[str, Any]], limits: Limits | None = None) -> RunResult:
    limits = limits or Limits()
    if len(source) > limits.max_source_chars:
        return RunResult(
            "error", f"the solution is {len(source):,} characters; the limit is {limits.max_source_chars:,}"
        )
    workdir = Path(tempfile.mkdtemp(prefix="tutor-exercise-"))
    try:
        (workdir / "solution.py").write_text(source, encoding="utf-8")
        shutil.copy(HARNESS, workdir / "harness.py")
        spec = {
            "function": function,
            "cases": [
                {
                    "args": [encode_arg(a) for a in c["args"]],
                    "kwargs": {k: encode_arg(v) for k, v in c.get("kwargs", {}).items()},
                }
                for c in cases
            ],
        }
        (workdir / "cases.json").write_text(json.dumps(spec), encoding="utf-8")
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(workdir),
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "PYTHONHASHSEED": "0",
            "PYTHONDONTWRITEBYTECODE": "1",
            "LANG": "C.UTF-8",
        }
        start = time.perf_counter()
        with (workdir / "stdout.txt").open("wb") as out, (workdir / "stderr.txt").open("wb") as err:
            proc = subprocess.Popen(
                [sys.executable, "-I", "harness.py"],
                cwd=workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                preexec_fn=lambda: _limit_child(limits),
            )
            try:
                code = proc.wait(timeout=limits.wall_seconds)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                return RunResult(
                    "timeout",
                    f"stopped after {limits.wall_seconds:.0f} s of wall-clock time (an infinite loop?)",
                    seconds=time.perf_counter() - start,
                )
        seconds = time.perf_counter() - start
        return _read_results(workdir, code, limits, seconds)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _read_results(workdir: Path, code: int, limits: Limits, seconds: float) -> RunResult:
    results_path = workdir / "results.json"
    if code < 0 or not results_path.is_file():
        sig = -code if code < 0 else 0
        reasons = {
            signal.SIGXCPU: f"used more than {limits.cpu_seconds} s of CPU time",
            signal.SIGKILL: f"killed (CPU or memory limit: {limits.cpu_seconds} s, {limits.memory_mb} MB)",
            signal.SIGXFSZ: f"wrote more than {limits.file_mb} MB of output",
            signal.SIGSEGV: "crashed (segmentation fault)",
        }
        stderr = (workdir / "stderr.txt").read_bytes()[-2000:].decode("utf-8", "replace")
        message = reasons.get(sig, f"the sandbox exited with code {code}") if sig else _last_line(stderr, code)
        return RunResult("killed" if sig else "error", message, seconds=seconds)
    data = json.loads(results_path.read_text(encoding="utf-8"))
    if data.get("load_error"):
        return RunResult(
            "error", f"your solution could not be loaded: {data['load_error']}", stdout=data["stdout"], seconds=seconds
        )
    cases = data["cases"]
    memory = next((c for c in cases if c["error"] and c["error"].startswith("MemoryError")), None)
    if memory is not None:
        return RunResult(
            "killed",
            f"memory limit exceeded ({limits.memory_mb} MB)",
            cases=cases,
            stdout=data["stdout"],
            seconds=seconds,
        )
    note = f"\n[{data['stdout_dropped']:,} more characters of output dropped]" if data.get("stdout_dropped") else ""
    return RunResult("ok", cases=cases, stdout=data["stdout"] + note, seconds=seconds)


def _last_line(stderr: str, code: int) -> str:
    lines = [ln for ln in stderr.strip().splitlines() if ln.strip()]
    return lines[-1][:300] if lines else f"the sandbox exited with code {code}"
