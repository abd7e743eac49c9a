"""Entry point used by `tutor` with no subcommand."""

from __future__ import annotations

from pathlib import Path

import typer


def launch(*, model: Path | None = None, topic: str | None = None) -> None:
    typer.echo("The study app is not built yet; use `tutor chat --plain` meanwhile.", err=True)
    raise typer.Exit(1)
