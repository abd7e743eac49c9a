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
    """One llama.cpp model and what every backend using it shares: the lock, what is warm, and whether it is closed."""

    llm: Any
    # llama.cpp contexts are not re-entrant; backends sharing a model share this lock.
    lock: threading.Lock = field(default_factory=threading.Lock)
    warm_prompts: set[str] = field(default_factory=set)  # system prompts evaluated by warm_up ("" = none)
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


# Room for ~20 saved states of the default model (28 KB of KV cache per token, ~3 MB for a 110-token request,
# ~14 MB for a follow-up with passages): enough to keep the latest request under each of the tutor's system prompts.
PROMPT_CACHE_BYTES = 64 << 20


def _prompt_cache(capacity_bytes: int) -> Any:
    """llama-cpp-python's RAM cache of evaluated prompts, kept to its budget.

    Without it llama.cpp reuses only the prefix shared with the previous request, so alternating between the
    tutor's system prompts (tutor, cited answers, grader) evaluated each one again: on Qwen2.5-1.5B, 2 cores, 16
    requests over three system prompts evaluated 1445 prompt tokens without it and 761 with it.
    """
    from llama_cpp import LlamaRAMCache

    class PromptCache(LlamaRAMCache):  # type: ignore[misc]
        def __setitem__(self, key: Sequence[int], value: Any) -> None:
            # A saved state carries the logits of every evaluated token (0.6 MB per token with a 152k vocabulary),
            # which the capacity does not count: 16 requests grew the process by 1.2 GB. Only one row is ever
            # needed: a restored state is re-decoded from its last token before sampling, and load_state
            # broadcasts the row it is given.
            value.scores = value.scores[-1:].copy()
            super().__setitem__(key, value)

    return PromptCache(capacity_bytes)


class LlamaCppBackend:
    """Chat through a llama.cpp model loaded in this process.

    ``n_ctx`` is taken as given: the app's floor of 4096 tokens is enforced by ``Settings``, which is how
    ``make_backend`` (the app's only way here) gets it; tests and tools may load smaller contexts on purpose.
    ``prompt_cache`` keeps evaluated prompts in RAM (``make_backend`` turns it on); it stays off by default so that
    measurements of raw prompt evaluation (``tutor bench``) are not served from the cache.
    """

    name = "llama_cpp"

    def __init__(
        self,
        path: Path,
        *,
        n_ctx: int = 4096,
        n_threads: int = 2,
        n_batch: int = 512,
        warm_up: bool = True,
        warm_prompts: Sequence[str] = (),
        prompt_cache: bool = False,
    ) -> None:
        self.path = path
        self._model = load_llama(path, n_ctx=n_ctx, n_threads=n_threads, n_batch=n_batch)
        self.llm = self._model.llm
        if prompt_cache:
            with self._model.lock:
                if self.llm.cache is None:
                    self.llm.set_cache(_prompt_cache(PROMPT_CACHE_BYTES))
        if warm_up:
            self.warm_up(warm_prompts)

    def _check_open(self) -> None:
        if self._model.closed:
            raise BackendError(
                f"{self.path.name} was unloaded because another model was loaded (one model per process)",
                hint="restart the tutor to switch back",
            )

    def warm_up(self, system_prompts: Sequence[str] = ()) -> None:
        """Run a one-token generation so that page faults and first-call setup are paid before the learner waits.

        With system prompts, one generation under each (once per loaded model): their evaluated prefix is then
        in the KV cache (the last one) or the prompt cache (all of them, if it is on), so a real request that
        starts with one of them evaluates only what follows it.
        """
        warmed = self._model.warm_prompts
        for system in system_prompts or ("",):
            if system in warmed or (not system and warmed):  # any earlier warm-up already paid the first call
                continue
            messages: list[ChatMessage] = [{"role": "system", "content": system}] if system else []
            for _ in self.stream([*messages, {"role": "user", "content": "Hi"}], max_tokens=1, temperature=0.0):
                pass
            warmed.add(system)

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
