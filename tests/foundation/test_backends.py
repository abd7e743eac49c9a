from __future__ import annotations

from pathlib import Path

import pytest

from tutor.backends import make_backend
from tutor.backends.base import ToolSpec, complete, parse_json_reply, request_tool_call
from tutor.backends.fake import FakeBackend
from tutor.backends.models import (
    ChunkedModel,
    assemble_default_model,
    is_recorded_verified,
    resolve_model_path,
    verify_default_model,
)
from tutor.config import load_settings
from tutor.errors import BackendError, ConfigError, ModelChecksumMismatch, ModelNotFound


def test_fake_backend_streams_queued_replies_and_records_calls(fake_model: FakeBackend) -> None:
    fake_model.enqueue("Gradients flow through the cell state.")
    pieces = list(fake_model.stream([{"role": "user", "content": "why?"}]))
    assert len(pieces) > 1 and "".join(pieces) == "Gradients flow through the cell state."
    assert fake_model.calls[0][0]["content"] == "why?"
    with pytest.raises(BackendError, match="no reply queued"):
        complete(fake_model, [{"role": "user", "content": "again"}])


def test_tool_call_request_parses_and_rejects_malformed(fake_model: FakeBackend) -> None:
    tools = [ToolSpec("lora_params", "count LoRA parameters", {"type": "object"})]
    fake_model.enqueue({"tool": "lora_params", "arguments": {"d_in": 8, "d_out": 8, "rank": 2}})
    call = request_tool_call(fake_model, [{"role": "user", "content": "lora"}], tools)
    assert call.name == "lora_params" and call.arguments["rank"] == 2
    fake_model.enqueue({"tool": "lora_params", "arguments": "rank 2"})
    with pytest.raises(BackendError, match="malformed tool call"):
        request_tool_call(fake_model, [{"role": "user", "content": "lora"}], tools)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1}', {"a": 1}),
        ('```json\n{"a": [1, 2]}\n```', {"a": [1, 2]}),
        ('Sure! {"v": "x"} done', {"v": "x"}),
    ],
)
def test_parse_json_reply_tolerates_wrapping(text: str, expected: dict[str, object]) -> None:
    assert parse_json_reply(text) == expected


def test_parse_json_reply_rejects_non_json() -> None:
    with pytest.raises(BackendError):
        parse_json_reply("no json here")


def test_fake_backend_is_refused_outside_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TUTOR_ALLOW_FAKE")
    with pytest.raises(ConfigError, match="tests only"):
        make_backend(load_settings(backend="fake"))


def test_missing_explicit_model_is_model_not_found_with_the_path_as_the_fix(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ModelNotFound, match="not found") as info:
        resolve_model_path(tmp_path / "nope.gguf", tmp_path)
    assert "TUTOR_MODEL" in info.value.hint and "does not exist" in info.value.hint
    assert "pip install" not in info.value.hint, "installing the default model does not fix a wrong path"


def _fake_chunked(tmp_path, payload: bytes, sha: str):  # type: ignore[no-untyped-def]
    """A two-chunk 'model' installed as importable packages under tmp_path."""
    for n, part in enumerate((payload[:5], payload[5:]), start=1):
        pkg = tmp_path / f"fakechunk_part{n}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "__init__.py").write_text("")
        (pkg / "data" / f"part{n:02d}.bin").write_bytes(part)
    return ChunkedModel("m.gguf", "fakechunk_part{n}", "data/part{n:02d}.bin", 2, sha, len(payload), "test")


def test_assembly_with_wrong_hash_fails_and_leaves_nothing(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    model = _fake_chunked(tmp_path, b"0123456789abcdef", "0" * 64)
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModelChecksumMismatch):
        assemble_default_model(tmp_path / "models", None, model)
    assert not list((tmp_path / "models").iterdir())


PAYLOAD = b"0123456789abcdef"


@pytest.fixture
def chunked(tmp_path, monkeypatch: pytest.MonkeyPatch) -> ChunkedModel:  # type: ignore[no-untyped-def]
    """A two-chunk model whose chunk packages are importable, as the real ones are once installed."""
    import hashlib

    monkeypatch.syspath_prepend(str(tmp_path))
    return _fake_chunked(tmp_path, PAYLOAD, hashlib.sha256(PAYLOAD).hexdigest())


def test_assembly_concatenates_chunks_and_verifies_hash(tmp_path, chunked) -> None:  # type: ignore[no-untyped-def]
    seen: list[int] = []
    out = assemble_default_model(tmp_path / "models", lambda done, total: seen.append(done), chunked)
    assert out.read_bytes() == PAYLOAD and seen[-1] == len(PAYLOAD)


def _damage(path: Path) -> None:
    """Overwrite with same-size garbage, as `truncate -s SIZE` or a bad copy would, some time after assembly
    (file systems stamp mtimes with a coarse clock, so a write in the same tick could keep the old one)."""
    import os

    mtime = path.stat().st_mtime_ns
    path.write_bytes(b"X" * len(PAYLOAD))
    os.utime(path, ns=(mtime + 10**9, mtime + 10**9))


def test_assembled_model_is_recorded_and_not_hashed_again(tmp_path, chunked, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tutor.backends import models

    out = assemble_default_model(tmp_path / "models", None, chunked)
    assert is_recorded_verified(out, chunked)

    def no_hashing(*_: object) -> str:
        raise AssertionError("an unchanged, verified file must not be hashed again")

    monkeypatch.setattr(models, "sha256_file", no_hashing)
    assert assemble_default_model(tmp_path / "models", None, chunked) == out


def test_damaged_model_of_the_right_size_is_reassembled_from_the_chunks(tmp_path, chunked) -> None:  # type: ignore[no-untyped-def]
    out = assemble_default_model(tmp_path / "models", None, chunked)
    _damage(out)
    seen: list[int] = []
    again = assemble_default_model(tmp_path / "models", lambda done, total: seen.append(done), chunked)
    assert again.read_bytes() == PAYLOAD and seen[-1] == len(PAYLOAD), "reassembled, with progress"
    assert is_recorded_verified(again, chunked)


def test_intact_model_without_a_record_is_hashed_once_and_needs_no_chunks(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import hashlib

    models_dir = tmp_path / "models"
    models_dir.mkdir()
    (models_dir / "m.gguf").write_bytes(PAYLOAD)  # assembled by an older version; chunks since uninstalled
    sha = hashlib.sha256(PAYLOAD).hexdigest()
    model = ChunkedModel("m.gguf", "notinstalled_part{n}", "data/part{n:02d}.bin", 2, sha, len(PAYLOAD), "test")
    assert assemble_default_model(models_dir, None, model).read_bytes() == PAYLOAD
    assert is_recorded_verified(models_dir / "m.gguf", model)


def test_damaged_model_without_chunks_names_the_file_and_the_fix(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import hashlib

    models_dir = tmp_path / "models"
    models_dir.mkdir()
    (models_dir / "m.gguf").write_bytes(b"X" * len(PAYLOAD))
    sha = hashlib.sha256(PAYLOAD).hexdigest()
    model = ChunkedModel("m.gguf", "notinstalled_part{n}", "data/part{n:02d}.bin", 2, sha, len(PAYLOAD), "test")
    with pytest.raises(ModelChecksumMismatch, match="damaged") as info:
        assemble_default_model(models_dir, None, model)
    assert f"delete {models_dir / 'm.gguf'}" in info.value.hint and "pip install" in info.value.hint
    with pytest.raises(ModelChecksumMismatch) as verify:
        verify_default_model(models_dir / "m.gguf", None, model)
    assert "delete" in verify.value.hint


def test_full_verification_with_chunks_installed_says_they_reassemble_it(tmp_path, chunked) -> None:  # type: ignore[no-untyped-def]
    out = assemble_default_model(tmp_path / "models", None, chunked)
    _damage(out)
    with pytest.raises(ModelChecksumMismatch) as info:
        verify_default_model(out, None, chunked)
    assert "reassembled from the installed chunks" in info.value.hint and "pip install" not in info.value.hint
    assert not is_recorded_verified(out, chunked)


def _openai_backend(handler):  # type: ignore[no-untyped-def]
    import httpx

    from tutor.backends.openai_compat import OpenAICompatBackend

    backend = OpenAICompatBackend("http://server.test/v1")
    backend.client = httpx.Client(base_url=backend.base_url, transport=httpx.MockTransport(handler))
    return backend


def _sse(*events: str) -> bytes:
    return "".join(f"data: {e}\n\n" for e in events).encode()


def test_openai_stream_turns_a_malformed_event_into_a_backend_error() -> None:
    import httpx

    good = '{"choices": [{"delta": {"content": "Hi"}}]}'
    backend = _openai_backend(lambda request: httpx.Response(200, content=_sse(good, '{"choices": [')))
    pieces: list[str] = []
    with pytest.raises(BackendError, match="malformed response"):
        pieces.extend(backend.stream([{"role": "user", "content": "hi"}]))
    assert pieces == ["Hi"]


def test_openai_stream_reports_an_error_event() -> None:
    import httpx

    backend = _openai_backend(
        lambda request: httpx.Response(200, content=_sse('{"error": {"message": "context overflow"}}'))
    )
    with pytest.raises(BackendError, match="context overflow"):
        list(backend.stream([{"role": "user", "content": "hi"}]))


def test_openai_json_uses_json_schema_and_falls_back_once_for_llama_cpp_python_server() -> None:
    import json

    import httpx

    sent: list[dict[str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        fmt = json.loads(request.content)["response_format"]
        sent.append(fmt)
        if fmt["type"] == "json_schema":  # what llama-cpp-python 0.3's server answers
            return httpx.Response(500, json={"error": {"message": "response_format.type: Input should be 'text'"}})
        return httpx.Response(200, json={"choices": [{"message": {"content": '{"verdict": "correct"}'}}]})

    backend = _openai_backend(handler)
    schema = {"type": "object", "properties": {"verdict": {"type": "string"}}}
    assert backend.complete_json([{"role": "user", "content": "grade"}], schema) == {"verdict": "correct"}
    assert backend.complete_json([{"role": "user", "content": "again"}], schema) == {"verdict": "correct"}
    assert sent[0] == {"type": "json_schema", "json_schema": {"name": "reply", "schema": schema, "strict": False}}
    assert [f["type"] for f in sent] == ["json_schema", "json_object", "json_object"], "falls back once, then sticks"
    assert sent[1]["schema"] == schema


def test_openai_json_does_not_retry_an_unrelated_error() -> None:
    import httpx

    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(400, json={"error": {"message": "prompt is longer than the context"}})

    with pytest.raises(BackendError, match="HTTP 400"):
        _openai_backend(handler).complete_json([{"role": "user", "content": "x"}], {"type": "object"})
    assert len(calls) == 1
