"""The `tutor` command: one Typer tree. Each module in this package adds its subcommands via ``register(app)``.

Modules keep heavy imports (torch, llama_cpp, faiss, textual) inside their command functions so that
``tutor --help`` and start-up stay fast.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
import traceback

import typer

from tutor.errors import TutorError

app = typer.Typer(
    name="tutor",
    help="A local, private tutor for ML/AI interview preparation. Run `tutor` with no command to open the study app.",
    no_args_is_help=False,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)


def _register_commands() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):  # __main__ runs the app; it registers nothing
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)


_register_commands()


def main() -> None:
    """Console-script entry: run the app, showing TutorErrors as one clear message (traceback with --debug)."""
    debug = "--debug" in sys.argv or os.environ.get("TUTOR_DEBUG") == "1"
    if "--debug" in sys.argv:
        sys.argv.remove("--debug")
        os.environ["TUTOR_DEBUG"] = "1"  # the TUI's workers read it to re-raise unexpected errors
    try:
        # Standalone mode lets Typer show its own usage errors (its bundled click is not the `click` package, so
        # they cannot be caught by type here) and turns `typer.Exit` into the process exit code.
        app()
    except TutorError as exc:
        if debug:
            traceback.print_exc()
        typer.secho(f"error: {exc.user_message()}", fg="red", err=True)
        sys.exit(2)
