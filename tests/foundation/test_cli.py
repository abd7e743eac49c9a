from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tutor.cli import app


def test_help_lists_every_command_with_a_purpose() -> None:
    import typer.main

    result = CliRunner().invoke(app, ["--help"], terminal_width=200)
    assert result.exit_code == 0
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    assert len(commands) >= 14
    for name, command in commands.items():
        assert command.help or command.short_help, f"`tutor {name}` has no one-line purpose"
        line = next((ln for ln in result.output.splitlines() if f" {name} " in ln), "")
        assert len(line.split()) > 2, f"`tutor {name}` is not listed with its purpose in --help"


def test_root_help_documents_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    result = CliRunner().invoke(app, ["--help"], terminal_width=200)
    assert "--debug" in result.output and "traceback" in result.output
    monkeypatch.setenv("TUTOR_DEBUG", "0")  # so that monkeypatch restores what the option sets
    assert CliRunner().invoke(app, ["--debug", "version"]).exit_code == 0
    assert os.environ.get("TUTOR_DEBUG") == "1", "given to the app directly, the option still turns debug on"


def test_version_json() -> None:
    result = CliRunner().invoke(app, ["version", "--json"])
    data = json.loads(result.output)
    assert data["tutor"] and data["python"].startswith("3.")


def _tutor(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from tutor.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=180,
    )


def test_tutor_error_is_printed_without_traceback_and_with_one_under_debug(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.gguf")
    plain = _tutor("ask", "what is attention?", TUTOR_MODEL=missing)
    debug = _tutor("--debug", "ask", "what is attention?", TUTOR_MODEL=missing)
    assert plain.returncode == 2 and "missing.gguf" in plain.stderr and "fix:" in plain.stderr
    assert "TUTOR_MODEL" in plain.stderr and "does not exist" in plain.stderr
    assert "Traceback" not in plain.stderr
    assert debug.returncode == 2 and "Traceback" in debug.stderr and "ModelNotFound" in debug.stderr


def test_usage_errors_show_usage_not_a_traceback() -> None:
    for args in (("no-such-command",), ("grade",), ("doctor", "--no-such-option")):
        proc = _tutor(*args)
        assert proc.returncode == 2, args
        assert "Usage:" in proc.stderr and "Traceback" not in proc.stderr, args


def test_doctor_reports_an_unwritable_data_dir_with_a_fix(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    proc = _tutor("doctor", "--json", "--no-verify-hash", TUTOR_HOME=str(blocker / "home"))
    report = json.loads(proc.stdout)
    data_dir = next(c for c in report["checks"] if c["name"] == "data dir")
    assert proc.returncode == 1 and not data_dir["ok"] and "TUTOR_HOME" in data_dir["fix"]


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
    assert not broken.ok and "TUTOR_MODEL" in broken.fix and "pip install" not in broken.fix


def test_generation_probe_on_a_damaged_default_model_says_to_delete_it(tmp_path: Path) -> None:
    from tutor.backends.models import DEFAULT_MODEL
    from tutor.config import Settings
    from tutor.doctor import _generation

    settings = Settings(home=tmp_path)
    damaged = settings.models_dir / DEFAULT_MODEL.filename
    damaged.parent.mkdir(parents=True)
    damaged.write_bytes(b"GGUF but truncated")
    check = _generation(settings, False)
    assert not check.ok and check.fix.startswith(f"delete {damaged}") and "reassembled" in check.fix
