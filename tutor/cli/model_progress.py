"""A progress bar on stderr for the one slow first-run step: assembling the 1.1 GB default model from its chunks.

The bar appears only when assembly actually happens (the first callback), so a normal start prints nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.progress import Progress

    from tutor.backends.base import ChatBackend
    from tutor.backends.models import ProgressFn
    from tutor.config import Settings


@contextmanager
def assembly_progress() -> Iterator[ProgressFn]:
    bar: Progress | None = None
    task = None

    def update(done: int, total: int) -> None:
        nonlocal bar, task
        if bar is None:
            from rich.console import Console
            from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

            bar = Progress(
                "assembling the default model from its chunks",
                BarColumn(),
                DownloadColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            bar.start()
            task = bar.add_task("model", total=total)
        bar.update(task, completed=done)  # type: ignore[arg-type]

    try:
        yield update
    finally:
        if bar is not None:
            bar.stop()


def load_chat_backend(settings: Settings) -> ChatBackend:
    """`make_backend` with the assembly progress bar shown on stderr."""
    from tutor.backends import make_backend

    with assembly_progress() as progress:
        return make_backend(settings, progress=progress)
