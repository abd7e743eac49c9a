"""Model backends: chat models behind one protocol, and the sentence embedder."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tutor.backends.base import ChatBackend, ChatMessage, Completion, ToolCallRequest, ToolSpec, complete
from tutor.errors import ConfigError

if TYPE_CHECKING:
    from tutor.backends.models import ProgressFn
    from tutor.config import Settings

__all__ = [
    "ChatBackend",
    "ChatMessage",
    "Completion",
    "ToolCallRequest",
    "ToolSpec",
    "complete",
    "make_backend",
]


def make_backend(settings: Settings, *, progress: ProgressFn | None = None, warm_up: bool = True) -> ChatBackend:
    """Build the configured chat backend (loading the model, assembling the default one on first use)."""
    if settings.backend == "llama_cpp":
        from tutor.backends.llama_cpp import LlamaCppBackend
        from tutor.backends.models import resolve_model_path

        path = resolve_model_path(settings.model, settings.models_dir, progress)
        return LlamaCppBackend(
            path,
            n_ctx=settings.n_ctx,
            n_threads=settings.n_threads,
            n_batch=settings.n_batch,
            warm_up=warm_up,
        )
    if settings.backend == "openai":
        from tutor.backends.openai_compat import OpenAICompatBackend

        return OpenAICompatBackend(
            settings.openai_base_url, model=settings.openai_model, api_key=settings.openai_api_key
        )
    if settings.backend == "fake":
        import os

        if os.environ.get("TUTOR_ALLOW_FAKE") != "1":
            raise ConfigError("the fake backend is for tests only", hint="set TUTOR_BACKEND=llama_cpp (the default)")
        from tutor.backends.fake import FakeBackend

        return FakeBackend(default="(fake reply)")
    raise ConfigError(f"unknown backend {settings.backend!r}")
