"""The layer contracts in pyproject.toml, checked by import-linter, and the code style checked by ruff."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_layers_import_downward_only_and_textual_stays_in_ui() -> None:
    exe = shutil.which("lint-imports")
    assert exe, "import-linter is part of the test extra"
    proc = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_clean() -> None:
    exe = shutil.which("ruff")
    assert exe, "ruff is part of the test extra"
    proc = subprocess.run([exe, "check", "tutor", "tests"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
