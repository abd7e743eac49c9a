"""`tutor tool list|run`: the reference implementations the tutor uses instead of letting the model do arithmetic."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

tool_app = typer.Typer(help="Reference implementations: list them or run one.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(tool_app, name="tool")


@tool_app.command("list", help="List every tool with its arguments and purpose (--json adds schemas and examples).")
def list_cmd(json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    from tutor.tools.registry import list_tools

    tools = list_tools()
    if json_out:
        rows = [{"name": t.name, "purpose": t.purpose, "schema": t.schema, "example": t.example} for t in tools]
        typer.echo(json.dumps({"tools": rows}, indent=2))
        return
    for t in tools:
        typer.echo(f"{_signature(t.name, t.schema)}\n    {t.purpose}")
    typer.echo(
        "\nRun one: tutor tool run NAME --args '{...}'   (see `tutor tool list --json` for schemas and examples)"
    )


def _signature(name: str, schema: dict[str, Any]) -> str:
    """``lora_params(d_in, d_out, rank, n_matrices=1)``: required arguments bare, optional ones with a JSON default."""
    props = schema.get("properties", {})
    args = [k if "default" not in p else f"{k}={json.dumps(p['default'])}" for k, p in props.items()]
    return f"{name}({', '.join(args)})"


@tool_app.command("run", help="Run one tool with JSON arguments and print the result with its working.")
def run_cmd(
    name: Annotated[str, typer.Argument(help="Tool name (see `tutor tool list`).")],
    args: Annotated[
        str | None, typer.Option("--args", help="Arguments as a JSON object (default: the example).")
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help='Print the result object as JSON (an error as {"error": ..., "tool": ...}).')
    ] = False,
) -> None:
    from tutor.errors import ToolError

    try:
        parsed, result = _run(name, args)
    except ToolError as exc:
        if not json_out:
            raise
        # A caller that asked for JSON parses stdout: the error must be JSON there too, not text on stderr.
        typer.echo(json.dumps({"error": str(exc), "tool": name}))
        raise typer.Exit(2) from exc
    if json_out:
        typer.echo(json.dumps(result))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"{name}({', '.join(f'{k}={json.dumps(v)}' for k, v in parsed.items())})"[:200], show_header=False
    )
    table.add_column("field", style="bold")
    table.add_column("value")
    for step in result.get("explanation", []):
        table.add_row("·", step)
    for key, value in result.items():
        if key != "explanation":
            table.add_row(key, _render(value))
    Console().print(table)


def _run(name: str, args: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The parsed arguments (the tool's example when none are given) and the result; every failure is a ToolError."""
    from tutor.errors import ToolError
    from tutor.tools.registry import get_tool, run_tool

    info = get_tool(name)
    try:
        parsed: Any = json.loads(args) if args is not None else info.example
    except json.JSONDecodeError as exc:
        raise ToolError(f"--args is not valid JSON: {exc.msg} at column {exc.colno}") from exc
    return parsed, run_tool(name, parsed)


def _render(value: Any) -> str:
    if isinstance(value, list) and value and all(isinstance(r, list) for r in value):
        # JSON spelling for non-floats, so a masked attention score reads null as in the --json output
        return "\n".join(
            "  ".join(f"{x:9.4g}" if isinstance(x, float) else f"{json.dumps(x):>9}" for x in row) for row in value
        )
    return json.dumps(value)[:500]
