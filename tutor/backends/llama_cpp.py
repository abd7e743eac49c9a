"""llama-cpp-python backend: one loaded model per process, all cores, explicit context, prefix-cache friendly."""

from __future__ import annotations

import atexit
import ctypes
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tutor.backends.base import ChatMessage, parse_json_reply
from tutor.errors import BackendError


@dataclass
class LoadedModel:
    """One llama.cpp model and what every backend using it shares: the lock, and whether it is warm or closed."""

    llm: Any
    # llama.cpp contexts are not re-entrant; backends sharing a model share this lock.
    lock: threading.Lock = field(default_factory=threading.Lock)
    warm: bool = False
    closed: bool = False


_MODELS: dict[tuple[str, int, int], LoadedModel] = {}
_LOAD_LOCK = threading.Lock()


def _close_all() -> None:
    """Free models before interpreter teardown; llama-cpp-python's __del__ fails once its globals are gone."""
    for loaded in _MODELS.values():
        with loaded.lock:  # never free a model mid-generation
            loaded.llm.close()
            loaded.closed = True
    _MODELS.clear()


atexit.register(_close_all)


class _NoRedirect:
    """Stands in for llama-cpp-python's ``suppress_stdout_stderr``, which quiets a quiet load by pointing the
    process's file descriptors 1 and 2 at /dev/null: from the loader thread, that silently dropped every TUI frame
    and every error message the rest of the process wrote meanwhile (~1.3 s). With ``verbose=False`` llama.cpp's own
    log already goes through its Python callback, which keeps only errors, so nothing is lost by not redirecting."""

    def __init__(self, disable: bool = True) -> None:
        pass

    def __enter__(self) -> _NoRedirect:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


# llama.cpp's log lines, newest last: shown in a load error instead of printed over the TUI or a script's stderr.
_LOG_TAIL: deque[str] = deque(maxlen=20)
_log_callback: Any = None  # the ctypes callback must stay referenced for as long as llama.cpp may call it


def _keep_standard_streams() -> None:
    global _log_callback
    import llama_cpp
    import llama_cpp._internals
    import llama_cpp.llama

    llama_cpp.llama.suppress_stdout_stderr = _NoRedirect  # type: ignore[attr-defined,misc]
    llama_cpp._internals.suppress_stdout_stderr = _NoRedirect  # type: ignore[attr-defined,misc]
    if _log_callback is None:

        @llama_cpp.llama_log_callback  # type: ignore[misc]
        def keep_log(level: int, text: bytes, user_data: Any) -> None:
            line = text.decode("utf-8", "replace").strip()
            if line:
                _LOG_TAIL.append(line)

        _log_callback = keep_log
        llama_cpp.llama_log_set(_log_callback, ctypes.c_void_p(0))


def load_llama(path: Path, *, n_ctx: int, n_threads: int, n_batch: int = 512) -> LoadedModel:
    """Load (once per process) a GGUF with llama.cpp; later calls with the same settings share the instance."""
    key = (str(path), n_ctx, n_threads)
    with _LOAD_LOCK:
        if key not in _MODELS:
            try:
                from llama_cpp import Llama
            except ImportError as exc:  # pragma: no cover - depends on the install
                raise BackendError("llama-cpp-python is not installed", hint="pip install -e .") from exc
            _close_all()  # one model per process: free any other before loading
            _keep_standard_streams()
            _LOG_TAIL.clear()
            try:
                llm = Llama(
                    model_path=str(path),
                    n_ctx=n_ctx,
                    n_threads=n_threads,
                    n_threads_batch=n_threads,  # llama.cpp defaults to half the cores for prompt eval
                    n_batch=n_batch,
                    verbose=False,
                )
            except (ValueError, RuntimeError) as exc:
                log = " / ".join(list(_LOG_TAIL)[-3:])
                raise BackendError(
                    f"llama.cpp could not load {path}: {exc}" + (f" ({log})" if log else ""),
                    hint="check that the file is a GGUF model",
                ) from exc
            _MODELS[key] = LoadedModel(llm)
        return _MODELS[key]


class LlamaCppBackend:
    name = "llama_cpp"

    def __init__(
        self, path: Path, *, n_ctx: int = 4096, n_threads: int = 2, n_batch: int = 512, warm_up: bool = True
    ) -> None:
        self.path = path
        self._model = load_llama(path, n_ctx=n_ctx, n_threads=n_threads, n_batch=n_batch)
        self.llm = self._model.llm
        if warm_up and not self._model.warm:
            self.warm_up()
            self._model.warm = True

    def _check_open(self) -> None:
        if self._model.closed:
            raise BackendError(
                f"{self.path.name} was unloaded because another model was loaded (one model per process)",
                hint="restart the tutor to switch back",
            )

    def warm_up(self, messages: Sequence[ChatMessage] | None = None) -> None:
        """Run one tiny generation so page faults and first-call setup are paid before the learner waits.

        Passing the fixed system prompt here also leaves it in llama.cpp's KV cache, so the next real
        request reuses that prefix instead of evaluating it again.
        """
        msgs = list(messages) if messages else [{"role": "user", "content": "Hi"}]
        for _ in self.stream(msgs, max_tokens=1, temperature=0.0):
            pass

    def stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 256,
        temperature: float = 0.2,
        stop: Sequence[str] = (),
    ) -> Iterator[str]:
        with self._model.lock:
            self._check_open()
            try:
                chunks = self.llm.create_chat_completion(
                    messages=list(messages),
                    max_tokens=max_tokens,
                    temperature=temperature,
                    stop=list(stop) or None,
                    stream=True,
                )
                for chunk in chunks:
                    piece = chunk["choices"][0]["delta"].get("content")
                    if piece:
                        yield piece
            except ValueError as exc:  # e.g. prompt longer than the context window
                raise BackendError(f"llama.cpp rejected the request: {exc}") from exc

    def complete_json(
        self,
        messages: Sequence[ChatMessage],
        schema: dict[str, Any],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
    ) -> dict[str, Any]:
        with self._model.lock:
            self._check_open()
            try:
                out = self.llm.create_chat_completion(
                    messages=list(messages),
                    max_tokens=max_tokens,
                    temperature=temperature,
                    response_format={"type": "json_object", "schema": schema},
                )
            except ValueError as exc:
                raise BackendError(f"llama.cpp rejected the request: {exc}") from exc
        return parse_json_reply(out["choices"][0]["message"]["content"] or "")
