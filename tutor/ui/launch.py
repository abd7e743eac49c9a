"""Entry point used by `tutor` with no subcommand."""

from __future__ import annotations

import os
from pathlib import Path


def launch(*, model: Path | None = None, topic: str | None = None) -> None:
    from tutor.config import get_settings
    from tutor.ui.app import make_app

    if model is not None:
        os.environ["TUTOR_MODEL"] = str(model)
        get_settings.cache_clear()
    settings = get_settings()
    make_app(settings, mode="learn" if topic else "review", topic=topic).run()
