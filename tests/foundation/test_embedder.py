"""The embedder's two runtimes give the same vectors; a corrupt ONNX export is replaced, not fatal."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tutor.backends.embedder import ONNX_FILE, Embedder, shared_embedder

TEXTS = [
    "LayerNorm normalizes each token over its features.",
    "LayerNorm normalizes across the batch.",
    "Ünïcödé, emoji 🙂 and math: softmax(QKᵀ/√d)V",
    "word " * 400,  # longer than the model's 256 tokens: truncated the same way by both runtimes
]


def test_onnx_and_torch_runtimes_agree(embedder_dir: Path) -> None:
    onnx = Embedder(onnx_dir=embedder_dir)
    torch_only = Embedder(onnx_dir=None)
    a, b = onnx.encode(TEXTS), torch_only.encode(TEXTS)
    assert onnx.runtime == "onnxruntime" and torch_only.runtime == "torch"
    assert a.shape == b.shape == (len(TEXTS), 384)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert float((a * b).sum(axis=1).min()) > 0.9999
    # batching and ordering must not change a text's vector
    assert np.allclose(onnx.encode(TEXTS[::-1], batch_size=2)[::-1], a, atol=1e-5)


def test_corrupt_onnx_export_is_rebuilt(tmp_path: Path) -> None:
    (tmp_path / ONNX_FILE).write_bytes(b"not an onnx model")
    embedder = Embedder(onnx_dir=tmp_path)
    vector = embedder.encode(["attention"])
    assert embedder.runtime == "onnxruntime" and vector.shape == (1, 384)
    assert (tmp_path / ONNX_FILE).stat().st_size > 1_000_000


def test_shared_embedder_follows_the_settings(monkeypatch, embedder_dir: Path) -> None:  # type: ignore[no-untyped-def]
    import tutor.backends.embedder as module

    monkeypatch.setattr(module, "_SHARED", None)
    monkeypatch.setenv("TUTOR_EMBEDDER_RUNTIME", "torch")
    from tutor.config import get_settings

    get_settings.cache_clear()
    assert shared_embedder().onnx_dir is None
    monkeypatch.setattr(module, "_SHARED", None)
    monkeypatch.setenv("TUTOR_EMBEDDER_RUNTIME", "onnx")
    get_settings.cache_clear()
    assert shared_embedder().onnx_dir == embedder_dir
