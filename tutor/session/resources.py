"""Heavy resources (chat model, retriever) loaded once, in background threads, without blocking the caller.

The TUI asks without waiting (``backend()`` is None until the model is ready); the headless chat waits.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from tutor.backends.base import ChatBackend
from tutor.config import Settings
from tutor.errors import TutorError

T = TypeVar("T")


class Lazy(Generic[T]):
    """A value built once in a background thread; errors are kept and shown, not raised into a UI thread."""

    def __init__(self, build: Callable[[], T], name: str) -> None:
        self._build = build
        self.name = name
        self._value: T | None = None
        self.error: TutorError | None = None
        self.status = "loading…"  # what the loader is doing, for a status line; the loader may refine it
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=f"load-{self.name}", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._build()
        except TutorError as exc:
            self.error = exc
        except Exception as exc:  # a loader bug must still surface as one clear message
            self.error = TutorError(f"could not load the {self.name}: {type(exc).__name__}: {exc}")
        finally:
            self._done.set()

    @property
    def ready(self) -> bool:
        return self._done.is_set()

    def get(self, *, wait: bool) -> T | None:
        self.start()
        if wait:
            self._done.wait()
        return self._value if self._done.is_set() else None


class Resources:
    def __init__(
        self,
        settings: Settings,
        *,
        backend_factory: Callable[[], ChatBackend] | None = None,
        retriever_factory: Callable[[], Any] | None = None,
        wait: bool = False,
    ) -> None:
        self.settings = settings
        self.wait = wait
        self.model = Lazy(backend_factory or self._make_backend, "model")
        self.index = Lazy(retriever_factory or self._make_retriever, "search index")

    def _make_backend(self) -> ChatBackend:
        from tutor.agent import prompts
        from tutor.backends import make_backend
        from tutor.retrieval import answer

        def show_assembly(done: int, total: int) -> None:
            self.model.status = f"assembling the default model from its chunks {100 * done // total} %"

        # The system prompts of feedback and follow-ups are evaluated while loading, so the learner's first turns
        # find them in llama.cpp's prompt cache (first feedback token ~1.04 -> 0.83 s, follow-up ~1.2 -> 0.7 s).
        return make_backend(self.settings, progress=show_assembly, warm_prompts=(prompts.SYSTEM, answer.SYSTEM))

    def _make_retriever(self) -> Any:
        from tutor.retrieval import load_retriever

        return load_retriever(self.settings)

    def start(self) -> None:
        self.model.start()
        self.index.start()

    def backend(self) -> ChatBackend | None:
        return self.model.get(wait=self.wait)

    def retriever(self) -> Any:
        return self.index.get(wait=self.wait)
