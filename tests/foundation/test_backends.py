from __future__ import annotations

import pytest

from tutor.backends import make_backend
from tutor.backends.base import ToolSpec, complete, parse_json_reply, request_tool_call
from tutor.backends.fake import FakeBackend
from tutor.backends.models import ChunkedModel, assemble_default_model, resolve_model_path
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


def test_missing_explicit_model_is_model_not_found(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ModelNotFound, match="not found"):
        resolve_model_path(tmp_path / "nope.gguf", tmp_path)


def _fake_chunked(tmp_path, payload: bytes, sha: str):  # type: ignore[no-untyped-def]
    """A two-chunk 'model' installed as importable packages under tmp_path."""
    for n, part in enumerate((payload[:5], payload[5:]), start=1):
        pkg = tmp_path / f"fakechunk_part{n}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "__init__.py").write_text("")
        (pkg / "data" / f"part{n:02d}.bin").write_bytes(part)
    return ChunkedModel("m.gguf", "fakechunk_part{n}", "data/part{n:02d}.bin", 2, sha, len(payload), "test")


def test_assembly_concatenates_chunks_and_verifies_hash(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    import hashlib

    payload = b"0123456789abcdef"
    model = _fake_chunked(tmp_path, payload, hashlib.sha256(payload).hexdigest())
    monkeypatch.syspath_prepend(str(tmp_path))
    seen: list[int] = []
    out = assemble_default_model(tmp_path / "models", lambda done, total: seen.append(done), model)
    assert out.read_bytes() == payload and seen[-1] == len(payload)


def test_assembly_with_wrong_hash_fails_and_leaves_nothing(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    model = _fake_chunked(tmp_path, b"0123456789abcdef", "0" * 64)
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModelChecksumMismatch):
        assemble_default_model(tmp_path / "models", None, model)
    assert not list((tmp_path / "models").iterdir())
