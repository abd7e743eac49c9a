"""`tutor` (the app), `tutor version`, `tutor doctor`, `tutor config show|set|path`."""

from __future__ import annotations

import json
import os
import platform
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as pkg_version
from pathlib import Path
from typing import Annotated, Any

import typer


def register(app: typer.Typer) -> None:
    app.callback(invoke_without_command=True)(root)
    app.command("version", help="Print the tutor version and its key dependencies.")(version_cmd)
    app.command(
        "doctor",
        help="Check Python, the config, torch, llama.cpp, the model, the embedder, the index and the data dir.",
    )(doctor_cmd)
    config_app = typer.Typer(
        help="Show or change settings (TUTOR_* env vars and the config file).", no_args_is_help=True
    )
    config_app.command("show", help="Print every effective setting and where it came from.")(config_show)
    config_app.command("set", help="Save one setting to the config file.")(config_set)
    config_app.command("path", help="Print the config file path.")(config_path)
    app.add_typer(config_app, name="config")


def root(
    ctx: typer.Context,
    model: Annotated[
        Path | None,
        typer.Option("--model", help="GGUF model file (default: the bundled Qwen2.5-Coder-1.5B)."),
    ] = None,
    topic: Annotated[str | None, typer.Option("--topic", help="Start studying this topic.")] = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the full traceback of an error (may go anywhere on the line).")
    ] = False,
) -> None:
    """Open the study app (Textual TUI) when no subcommand is given."""
    # `main()` takes --debug out of argv before Typer runs, so that it works after a subcommand too and covers
    # errors raised before any callback; it reaches this option only when the app is invoked directly (tests).
    if debug:
        os.environ["TUTOR_DEBUG"] = "1"
    if ctx.invoked_subcommand is not None:
        if model is not None:
            os.environ["TUTOR_MODEL"] = str(model)
        return
    from tutor.ui.launch import launch

    launch(model=model, topic=topic)


def _versions() -> dict[str, str]:
    out = {"tutor": _dist_version("tutor"), "python": platform.python_version()}
    for dist in ("torch", "llama-cpp-python", "sentence-transformers", "faiss-cpu", "langgraph", "textual"):
        out[dist] = _dist_version(dist)
    return out


def _dist_version(name: str) -> str:
    try:
        return pkg_version(name)
    except PackageNotFoundError:
        return "not installed"


def version_cmd(json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    versions = _versions()
    if json_out:
        typer.echo(json.dumps(versions))
        return
    typer.echo(f"tutor {versions.pop('tutor')}")
    for name, ver in versions.items():
        typer.echo(f"  {name:22} {ver}")


def doctor_cmd(
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    verify_hash: Annotated[
        bool, typer.Option("--verify-hash/--no-verify-hash", help="Hash the model file (slow for 1 GB).")
    ] = True,
) -> None:
    """Each check is ok or fail with a fix hint; exits 1 if any check fails."""
    from tutor.doctor import run_checks

    checks = run_checks(verify_hash=verify_hash)
    ok = all(c.ok for c in checks)
    if json_out:
        typer.echo(json.dumps({"ok": ok, "checks": [c.as_dict() for c in checks]}, indent=2))
    else:
        for c in checks:
            mark = typer.style(" ok ", fg="green") if c.ok else typer.style("FAIL", fg="red", bold=True)
            typer.echo(f"[{mark}] {c.name:12} {c.detail}")
            if not c.ok and c.fix:
                typer.echo(f"       fix: {c.fix}")
    if not ok:
        raise typer.Exit(1)


def config_show(json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    from tutor.config import config_file, get_settings, setting_sources, unknown_settings

    sources = setting_sources(get_settings())
    if sources["openai_api_key"][0]:
        sources["openai_api_key"] = ("(set, hidden)", sources["openai_api_key"][1])
    unknown = unknown_settings()
    if json_out:
        data: dict[str, Any] = {k: {"value": _plain(v), "source": s} for k, (v, s) in sources.items()}
        report = {"config_file": str(config_file()), "settings": data, "unknown": [str(u) for u in unknown]}
        typer.echo(json.dumps(report, indent=2))
        return
    typer.echo(f"config file: {config_file()}{'' if config_file().is_file() else ' (not created yet)'}")
    width = max(len(k) for k in sources)
    for name, (value, source) in sources.items():
        typer.echo(f"  {name:{width}} = {_plain(value)!s:40} ({source})")
    for u in unknown:  # ignored by the settings loader, so without this a typo silently leaves the default
        typer.secho(f"warning: {u} (it has no effect)", fg="yellow", err=True)


def config_set(name: str, value: str) -> None:
    from tutor.config import save_setting

    path = save_setting(name, value)
    typer.echo(f"saved {name} = {value} to {path}")


def config_path() -> None:
    from tutor.config import config_file

    typer.echo(str(config_file()))


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Path) else value
