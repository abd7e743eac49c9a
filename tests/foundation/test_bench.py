"""Benchmarks are not tests: this only checks that `tutor bench --quick` runs and prints the contract's keys."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

KEYS = {
    "decode_tps_raw",
    "decode_tps_tutor",
    "decode_ratio",
    "ttft_feedback_ms",
    "retrieval_p95_ms",
    "grading_fast_p95_ms",
    "index_build_s",
    "index_incremental_s",
    "startup_interactive_ms",
    "rss_mb",
}


@pytest.mark.integration
def test_bench_quick_prints_valid_json() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tutor.cli", "bench", "--quick", "--json"], capture_output=True, text=True, timeout=900
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads(proc.stdout)
    assert set(data) >= KEYS
    assert all(isinstance(data[k], (int, float)) and data[k] >= 0 for k in KEYS)
