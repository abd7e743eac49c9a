"""Real models: the tiny GGUF through the llama_cpp backend, and through a real llama.cpp server via `openai`."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tutor.backends import make_backend
from tutor.backends.llama_cpp import LlamaCppBackend
from tutor.backends.models import tiny_model_path
from tutor.backends.openai_compat import OpenAICompatBackend, json_object_format
from tutor.config import load_settings
from tutor.errors import BackendError

pytestmark = pytest.mark.integration

VERDICT_SCHEMA = {
    "type": "object",
    "properties": {"verdict": {"type": "string", "enum": ["correct", "partial", "incorrect"]}},
    "required": ["verdict"],
}
PROMPT = [{"role": "user", "content": "Name one activation function."}]


def _app_backend(**kwargs: Any) -> LlamaCppBackend:
    """The backend as the app builds it: through Settings (so n_ctx >= 4096) and make_backend (prompt cache on)."""
    backend = make_backend(load_settings(model=tiny_model_path(), n_threads=2), **kwargs)
    assert isinstance(backend, LlamaCppBackend)
    return backend


def test_llama_cpp_backend_streams_tokens_and_obeys_json_schema() -> None:
    backend = _app_backend()
    assert backend.llm.n_ctx() == 4096
    pieces = list(backend.stream(PROMPT, max_tokens=16, temperature=0.0))
    assert len(pieces) >= 2 and "".join(pieces).strip()
    obj = backend.complete_json([{"role": "user", "content": "Grade: 2+2=4"}], VERDICT_SCHEMA, max_tokens=20)
    assert obj["verdict"] in {"correct", "partial", "incorrect"}


def test_warm_prompts_stay_evaluated_across_a_switch_of_system_prompt(monkeypatch: pytest.MonkeyPatch) -> None:
    tutor, grader = "You are a concise ML interview tutor. " * 4, "You are a strict examiner of answers. " * 4
    backend = _app_backend(warm_prompts=(tutor, grader))
    assert {tutor, grader} <= backend._model.warm_prompts
    evaluated: list[int] = []
    real_eval = backend.llm.eval
    monkeypatch.setattr(backend.llm, "eval", lambda tokens: (evaluated.append(len(tokens)), real_eval(tokens))[1])
    # The KV cache now holds the grader prompt (warmed last); the prompt cache still has the tutor's.
    list(backend.stream([{"role": "system", "content": tutor}, *PROMPT], max_tokens=2, temperature=0.0))
    assert evaluated[0] < len(backend.llm.tokenize(tutor.encode())), "the tutor prompt was evaluated again"
    assert all(len(state.scores) == 1 for state in backend.llm.cache.cache_state.values()), "one logits row each"


def test_one_model_per_process_shared_by_backends_and_unloaded_cleanly() -> None:
    first = _app_backend()
    second = LlamaCppBackend(tiny_model_path(), n_ctx=4096, n_threads=2)
    assert second.llm is first.llm, "the same model is loaded once and shared"
    other = LlamaCppBackend(tiny_model_path(), n_ctx=1024, n_threads=2, warm_up=False)
    with pytest.raises(BackendError, match="unloaded"):
        list(first.stream(PROMPT, max_tokens=4))
    assert list(other.stream(PROMPT, max_tokens=4, temperature=0.0))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def llama_server() -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(tiny_model_path()),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "2048",
            "--n_threads",
            "2",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            pytest.fail("llama.cpp server did not start")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_openai_backend_against_real_llama_cpp_server(llama_server: str) -> None:
    backend = OpenAICompatBackend(llama_server)
    pieces = list(backend.stream(PROMPT, max_tokens=16, temperature=0.0))
    assert len(pieces) >= 2 and "".join(pieces).strip()
    assert backend.complete_json([{"role": "user", "content": "Grade: 2+2=4"}], VERDICT_SCHEMA)["verdict"]
    assert backend._schema_format is json_object_format, "llama-cpp-python's server refuses json_schema"


def test_openai_backend_unreachable_server_is_a_clear_error() -> None:
    backend = OpenAICompatBackend(f"http://127.0.0.1:{_free_port()}/v1", timeout=2)
    with pytest.raises(BackendError, match="cannot reach"):
        list(backend.stream(PROMPT))
