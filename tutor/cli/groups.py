"""Subcommand groups shared by several command modules (each module adds its own commands to them)."""

from __future__ import annotations

import typer

corpus_app = typer.Typer(help="Inspect and extend the study corpus.", no_args_is_help=True)
eval_app = typer.Typer(help="Measure grading and retrieval quality.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(corpus_app, name="corpus")
    app.add_typer(eval_app, name="eval")
