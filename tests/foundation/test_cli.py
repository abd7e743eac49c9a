from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from tutor.cli import app


def test_help_lists_every_command_with_a_purpose() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("doctor", "config", "version"):
        assert command in result.output


def test_version_json() -> None:
    result = CliRunner().invoke(app, ["version", "--json"])
    data = json.loads(result.output)
    assert data["tutor"] and data["python"].startswith("3.")


def test_tutor_error_is_printed_without_traceback(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env_model = str(tmp_path / "missing.gguf")
    proc = subprocess.run(
        [sys.executable, "-c", "from tutor.cli import main; main()", "doctor", "--json", "--no-verify-hash"],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "TUTOR_MODEL": env_model},
        timeout=120,
    )
    report = json.loads(proc.stdout)
    model = next(c for c in report["checks"] if c["name"] == "model")
    assert proc.returncode == 1 and not model["ok"] and "missing.gguf" in model["detail"]
    assert "Traceback" not in proc.stderr


def test_doctor_json_on_fresh_data_dir() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", "from tutor.cli import main; main()", "doctor", "--json", "--no-verify-hash"],
        capture_output=True,
        text=True,
        timeout=180,
    )
    report = json.loads(proc.stdout)
    names = {c["name"]: c for c in report["checks"]}
    assert {"python", "torch", "llama.cpp", "model", "embedder", "entailment", "index", "data dir"} <= set(names)
    assert all(names[n]["ok"] for n in ("python", "torch", "embedder", "entailment", "data dir"))
    assert "CPU" in names["torch"]["detail"]
    assert proc.returncode == (0 if report["ok"] else 1)
    assert all(c["fix"] for c in report["checks"] if not c["ok"])


def test_generation_probe_decodes_a_real_model_and_reports_a_broken_one(tmp_path: Path) -> None:
    from tutor.backends.models import tiny_model_path
    from tutor.config import Settings
    from tutor.doctor import _generation

    healthy = _generation(Settings(model=tiny_model_path()), False)
    broken_file = tmp_path / "broken.gguf"
    broken_file.write_bytes(b"GGUF but not really")
    broken = _generation(Settings(model=broken_file), False)
    assert healthy.ok and "decodes" in healthy.detail
    assert not broken.ok and broken.fix
