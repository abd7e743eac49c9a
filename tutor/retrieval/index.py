"""The search index on disk: manifest.json (model, dimension, chunker version, index type, one content hash per
chunk), vectors.npy (row-aligned with the manifest) and the FAISS index. Writes are atomic; loading checks every
file against the manifest and raises IndexCorrupt on any mismatch, so the caller can rebuild instead of crashing."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tutor.backends.embedder import DIMENSION, MODEL_NAME, Embedder
from tutor.errors import IndexCorrupt, IndexMissing
from tutor.retrieval.chunking import CHUNKER_VERSION, Chunk

MANIFEST = "manifest.json"
VECTORS = "vectors.npy"
FAISS_FILE = "faiss.index"
# Above this many chunks HNSW replaces exact search. Measured with `tutor bench` (evals/README.md, "Retrieval"):
# exact search is 0.3 ms p95 at 10k vectors and 5.8 ms at 100k, while HNSW (M=32, efSearch=128) is under 0.5 ms
# but loses recall; exact search stays within the 10 ms budget up to ~100k chunks.
HNSW_THRESHOLD = 100_000
Progress = Callable[[int, int], None]


@dataclass
class LoadedIndex:
    directory: Path
    manifest: dict[str, Any]
    chunks: list[Chunk]
    vectors: np.ndarray
    faiss_index: Any


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:20]


def _atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    write(tmp)
    os.replace(tmp, path)


def make_faiss(vectors: np.ndarray) -> tuple[Any, str]:
    import faiss

    if len(vectors) >= HNSW_THRESHOLD:
        index = faiss.IndexHNSWFlat(vectors.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efSearch = 128
        kind = "hnsw"
    else:
        index, kind = faiss.IndexFlatIP(vectors.shape[1]), "flat"
    if len(vectors):
        index.add(vectors)
    return index, kind


def build_index(
    chunks: list[Chunk],
    files: dict[str, str],
    directory: Path,
    embedder: Embedder,
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Embed what changed (vectors are reused by content hash) and write the index atomically."""
    import faiss

    directory.mkdir(parents=True, exist_ok=True)
    reuse: dict[str, np.ndarray] = {}
    if not force:
        try:
            old = load_index(directory)
            reuse = {c.id: old.vectors[i] for i, c in enumerate(old.chunks)}
        except (IndexMissing, IndexCorrupt):
            reuse = {}
    todo = [c for c in chunks if c.id not in reuse]
    fresh: dict[str, np.ndarray] = {}
    batch = 64
    for start in range(0, len(todo), batch):
        part = todo[start : start + batch]
        for c, v in zip(part, embedder.encode([c.embed_text for c in part], batch_size=batch), strict=True):
            fresh[c.id] = v
        if progress:
            progress(min(start + batch, len(todo)), len(todo))
    vectors = (
        np.stack([reuse.get(c.id, fresh.get(c.id)) for c in chunks]).astype(np.float32)
        if chunks
        else np.zeros((0, DIMENSION), np.float32)
    )
    index, kind = make_faiss(vectors)
    manifest = {
        "model": MODEL_NAME,
        "dimension": DIMENSION,
        "chunker_version": CHUNKER_VERSION,
        "index_type": kind,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "files": files,
        "chunks": [c.as_dict() for c in chunks],
        "embedded_now": len(todo),
    }
    _atomic_write(directory / VECTORS, lambda p: np.save(open(p, "wb"), vectors))  # noqa: SIM115
    _atomic_write(directory / FAISS_FILE, lambda p: faiss.write_index(index, str(p)))
    _atomic_write(directory / MANIFEST, lambda p: p.write_text(json.dumps(manifest), encoding="utf-8"))
    return manifest


def load_index(directory: Path) -> LoadedIndex:
    path = directory / MANIFEST
    if not path.is_file():
        raise IndexMissing(f"no search index in {directory}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        chunks = [Chunk(**c) for c in manifest["chunks"]]
    except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise IndexCorrupt(f"the index manifest {path} is unreadable ({exc})") from exc
    if manifest.get("model") != MODEL_NAME or manifest.get("dimension") != DIMENSION:
        raise IndexCorrupt(f"the index in {directory} was built with another embedder ({manifest.get('model')})")
    if manifest.get("chunker_version") != CHUNKER_VERSION:
        raise IndexCorrupt(f"the index in {directory} was built by an older chunker")
    try:
        vectors = np.load(directory / VECTORS, allow_pickle=False)
        import faiss

        index = faiss.read_index(str(directory / FAISS_FILE))
    except (OSError, ValueError, RuntimeError) as exc:
        raise IndexCorrupt(f"the index files in {directory} are damaged ({exc})") from exc
    if vectors.shape != (len(chunks), DIMENSION) or index.ntotal != len(chunks):
        raise IndexCorrupt(f"the index in {directory} has {index.ntotal} vectors for {len(chunks)} chunks")
    return LoadedIndex(directory, manifest, chunks, vectors, index)
