"""Model backends: chat models behind one protocol, and the sentence embedder."""

from __future__ import annotations

from collections.abc import Sequence
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


def make_backend(
    settings: Settings,
    *,
    progress: ProgressFn | None = None,
    warm_up: bool = True,
    warm_prompts: Sequence[str] = (),
) -> ChatBackend:
    """Build the configured chat backend (loading the model, assembling the default one on first use).

    ``warm_prompts`` are the system prompts the caller is about to use: a local model evaluates each once while
    it loads, so requests that start with them skip that part of prompt evaluation.
    """
    if settings.backend == "llama_cpp":
        from tutor.backends.llama_cpp import LlamaCppBackend
        from tutor.backends.models import resolve_model_path

        path = resolve_model_path(settings.model, settings.models_dir, progress)
        return LlamaCppBackend(
            path,
            n_ctx=settings.n_ctx,  # at least 4096: Settings enforces the app's floor
            n_threads=settings.n_threads,
            n_batch=settings.n_batch,
            warm_up=warm_up,
            warm_prompts=warm_prompts,
            prompt_cache=True,
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
