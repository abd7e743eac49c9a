"""`tutor index build|status`, `tutor search`, `tutor ask`, `tutor corpus add`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from tutor.cli.groups import corpus_app, eval_app

index_app = typer.Typer(help="Build or inspect the search index over the corpus and your notes.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(index_app, name="index")
    app.command("search", help="Show the passages retrieval finds for a query (no model involved).")(search_cmd)
    app.command("ask", help="Answer a follow-up question from the study notes, with [n] citations.")(ask_cmd)
    eval_app.command("retrieval", help="Recall@1/@5, MRR and latency of dense, BM25 and hybrid retrieval.")(
        eval_retrieval_cmd
    )
    corpus_app.command("add", help="Add your own notes (Markdown/Obsidian exports) as material follow-ups can cite.")(
        add_cmd
    )


def _progress_build(force: bool) -> dict[str, object]:
    from rich.progress import Progress

    from tutor.config import get_settings
    from tutor.retrieval import build

    with Progress(transient=True, console=_stderr()) as bar:
        task = bar.add_task("embedding changed chunks", total=None)
        manifest = build(
            get_settings(), force=force, progress=lambda done, total: bar.update(task, completed=done, total=total)
        )
    return manifest


def _stderr():  # type: ignore[no-untyped-def]
    from rich.console import Console

    return Console(stderr=True)


@index_app.command("build", help="Embed the corpus (only changed chunks unless --force) and write the index.")
def build_cmd(force: Annotated[bool, typer.Option("--force", help="Re-embed everything.")] = False) -> None:
    import time

    start = time.perf_counter()
    manifest = _progress_build(force)
    typer.echo(
        f"indexed {len(manifest['chunks'])} chunks from {len(manifest['files'])} files "  # type: ignore[arg-type]
        f"({manifest['embedded_now']} embedded now, {manifest['index_type']}) in {time.perf_counter() - start:.1f} s"
    )


@index_app.command("status", help="Chunks, files, model, build time and files changed since the build.")
def status_cmd(json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    from tutor.config import get_settings
    from tutor.retrieval import status

    info = status(get_settings())
    if json_out:
        typer.echo(json.dumps(info, indent=2))
        return
    if not info["present"]:
        typer.echo(f"no usable index at {info['location']}: {info['problem']}\nrun `tutor index build`")
        raise typer.Exit(1)
    for key in ("location", "chunks", "files", "model", "built_at", "index_type"):
        typer.echo(f"{key:11} {info[key]}")
    stale = info["stale_files"]
    typer.echo(f"stale      {', '.join(stale) if stale else 'none'}")  # type: ignore[arg-type]


def search_cmd(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    k: Annotated[int, typer.Option("-k", min=1, max=50, help="How many passages.")] = 5,
    topic: Annotated[str | None, typer.Option("--topic", help="Only passages of this topic.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    from tutor.config import get_settings
    from tutor.retrieval import load_retriever

    retriever = load_retriever(get_settings())
    hits = retriever.search(query, k=k, topic=topic)
    if json_out:
        results = [{key: h.as_dict()[key] for key in ("rank", "score", "source", "heading", "text")} for h in hits]
        typer.echo(json.dumps({"results": results, "retrieval_ms": round(retriever.last_ms, 2)}))
        return
    for h in hits:
        typer.secho(f"[{h.rank}] {h.score:.4f}  {h.chunk.source} — {h.chunk.heading}", bold=True)
        typer.echo("    " + h.chunk.text[:300].replace("\n", " ") + ("…" if len(h.chunk.text) > 300 else ""))
    typer.echo(f"({retriever.last_ms:.1f} ms)")


def ask_cmd(
    question: Annotated[str, typer.Argument(help="Your question.")],
    topic: Annotated[str | None, typer.Option("--topic", help="Only use passages of this topic.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    import sys

    from tutor.cli.model_progress import load_chat_backend
    from tutor.config import get_settings
    from tutor.retrieval import load_retriever
    from tutor.retrieval.answer import answer_question

    settings = get_settings()
    retriever = load_retriever(settings)
    backend = load_chat_backend(settings)

    def show(piece: str) -> None:
        sys.stdout.write(piece)
        sys.stdout.flush()

    answer = answer_question(retriever, backend, question, topic=topic, on_token=None if json_out else show)
    if json_out:
        typer.echo(
            json.dumps(
                {
                    "answer": answer.text,
                    "citations": [c.as_dict() for c in answer.citations],
                    "retrieval_ms": round(answer.retrieval_ms, 2),
                    "generation_ms": round(answer.generation_ms, 1),
                }
            )
        )
        return
    typer.echo("")
    for c in answer.citations:
        typer.echo(f"  [{c.n}] {c.source} — {c.heading}")


def add_cmd(path: Annotated[Path, typer.Argument(help="A Markdown/text file or a folder of them.")]) -> None:
    from tutor.config import get_settings
    from tutor.corpus.text import clean_text
    from tutor.errors import BadInput

    settings = get_settings()
    if not path.exists():
        raise BadInput(f"{path} does not exist")
    files = (
        [path]
        if path.is_file()
        else sorted(p for p in path.rglob("*") if p.suffix.lower() in {".md", ".txt", ".markdown"})
    )
    if not files:
        raise BadInput(f"no .md or .txt files under {path}")
    out_dir = settings.user_notes_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    for src in files:
        text = clean_text(src.read_text(encoding="utf-8", errors="replace"))
        target = out_dir / (src.stem + ".md")
        target.write_text(f"<!-- source: {src.resolve()} -->\n{text}", encoding="utf-8")
    typer.echo(f"added {len(files)} file(s) to {out_dir}; updating the index…")
    manifest = _progress_build(False)
    typer.echo(f"index now has {len(manifest['chunks'])} chunks")  # type: ignore[arg-type]


def eval_retrieval_cmd(
    queries: Annotated[Path | None, typer.Option("--queries", help="Labelled queries (JSONL).")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    from tutor.config import get_settings
    from tutor.retrieval import load_retriever
    from tutor.retrieval.evaluate import QUERIES, evaluate, load_queries

    report = evaluate(load_retriever(get_settings()), load_queries(queries or QUERIES))
    if json_out:
        typer.echo(json.dumps(report, indent=2))
        return
    typer.echo(f"{report['n']} queries")
    for mode in ("dense", "bm25", "hybrid"):
        r = report[mode]
        typer.echo(
            f"  {mode:7} recall@1 {r['recall@1']:.3f}  recall@5 {r['recall@5']:.3f}  MRR {r['mrr']:.3f}  "
            f"p50 {r['latency_ms']['p50']:.1f} ms  p95 {r['latency_ms']['p95']:.1f} ms"
        )
