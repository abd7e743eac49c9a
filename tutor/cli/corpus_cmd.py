"""`tutor corpus check` and `tutor corpus seeds`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from tutor.cli.groups import corpus_app

DEFAULT_SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"


def register(app: typer.Typer) -> None:
    corpus_app.command("check", help="Lint the corpus, verify compute items with their tools, report seed coverage.")(
        check_cmd
    )
    corpus_app.command("seeds", help="List the study items found in a folder of study guides.")(seeds_cmd)


def check_cmd(
    seeds: Annotated[
        Path | None, typer.Option("--seeds", help="Folder of study guides to measure coverage against.")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    fix: Annotated[bool, typer.Option("--fix", help="Write each compute question's `expected` from its tool.")] = False,
) -> None:
    from tutor.config import get_settings
    from tutor.corpus.check import check_corpus
    from tutor.corpus.loader import default_corpus_dir

    root = get_settings().corpus_dir or default_corpus_dir()
    report = check_corpus(root, seeds=seeds, fix=fix)
    if json_out:
        typer.echo(json.dumps(report.as_dict(), indent=2))
    else:
        typer.echo(f"{report.questions} questions in {len(report.topics)} topics")
        for topic, n in sorted(report.topics.items(), key=lambda kv: -kv[1]):
            typer.echo(f"  {topic:22} {n}")
        typer.echo(f"by kind: {report.by_kind}; by difficulty: {report.by_difficulty}")
        if report.seed_items is not None:
            typer.echo(f"seed items covered: {report.seed_covered}/{report.seed_items}")
            for item in report.uncovered[:50]:
                typer.echo(f"  uncovered {item['id']}: {item['text'][:70]}")
        for w in report.warnings:
            typer.secho(f"warning: {w}", fg="yellow")
        for e in report.errors:
            typer.secho(f"error: {e}", fg="red")
    if report.errors:
        raise typer.Exit(1)


def seeds_cmd(
    seeds: Annotated[Path, typer.Option("--seeds", help="Folder of study guides.")] = DEFAULT_SEEDS,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    from tutor.corpus.seeds import extract_folder
    from tutor.errors import BadInput

    if not seeds.is_dir():
        raise BadInput(f"seed folder not found: {seeds}")
    items = extract_folder(seeds)
    if json_out:
        typer.echo(json.dumps([item.__dict__ for item in items], indent=2))
        return
    for item in items:
        typer.echo(f"{item.id}  ({item.file}:{item.line})  {item.text}")
