"""Hybrid retrieval: dense (MiniLM + FAISS) and BM25, fused by reciprocal rank fusion, with a topic filter."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tutor.backends.embedder import Embedder, shared_embedder
from tutor.config import Settings
from tutor.corpus.loader import default_corpus_dir, load_corpus
from tutor.corpus.model import Corpus, Section
from tutor.errors import IndexCorrupt, IndexMissing
from tutor.retrieval.bm25 import BM25
from tutor.retrieval.chunking import Chunk, chunk_corpus, chunk_section
from tutor.retrieval.index import LoadedIndex, Progress, build_index, file_hash, load_index

Mode = Literal["hybrid", "dense", "bm25"]
RRF_K = 60
# Below this cosine between the query and its best passage, nothing in the notes is about the question
# (calibrated on the retrieval eval queries against off-topic ones; see evals/README.md).
RELEVANCE_THRESHOLD = 0.30
SHIPPED_INDEX_DIR = Path(__file__).resolve().parents[2] / "index"


@dataclass(frozen=True)
class Hit:
    rank: int
    score: float
    dense: float  # cosine of query and passage, the relevance signal
    chunk: Chunk

    def as_dict(self) -> dict[str, object]:
        return {
            "rank": self.rank,
            "score": round(self.score, 4),
            "source": self.chunk.source,
            "heading": self.chunk.heading,
            "text": self.chunk.text,
            "topic": self.chunk.topic,
            "lines": [self.chunk.line_start, self.chunk.line_end],
        }


class Retriever:
    def __init__(self, index: LoadedIndex, embedder: Embedder) -> None:
        self.index = index
        self.embedder = embedder
        self.chunks = index.chunks
        self.bm25 = BM25([c.embed_text for c in self.chunks])
        self.last_ms = 0.0

    def search(self, query: str, k: int = 5, topic: str | None = None, mode: Mode = "hybrid") -> list[Hit]:
        start = time.perf_counter()
        pool = max(50, 4 * k)
        qv = self.embedder.encode([query])[0] if mode != "bm25" else None
        dense_rank: dict[int, int] = {}
        cos: dict[int, float] = {}
        if qv is not None:
            scores, ids = self.index.faiss_index.search(qv[None, :], min(pool * (4 if topic else 1), len(self.chunks)))
            for s, i in zip(scores[0], ids[0], strict=True):
                if i >= 0 and (topic is None or self.chunks[i].topic == topic):
                    cos[int(i)] = float(s)
                    dense_rank[int(i)] = len(dense_rank)
        lexical_rank: dict[int, int] = {}
        if mode != "dense":
            ranked = sorted(self.bm25.scores(query).items(), key=lambda kv: -kv[1])
            for i, _ in ranked:
                if topic is None or self.chunks[i].topic == topic:
                    lexical_rank[i] = len(lexical_rank)
                    if len(lexical_rank) >= pool:
                        break
        fused: dict[int, float] = {}
        for ranks in (dense_rank, lexical_rank):
            for i, r in ranks.items():
                fused[i] = fused.get(i, 0.0) + 1.0 / (RRF_K + r + 1)
        order = sorted(fused, key=lambda i: -fused[i])[:k]
        if qv is not None:
            missing = [i for i in order if i not in cos]
            if missing:
                vecs = self.index.vectors[missing]
                for i, s in zip(missing, vecs @ qv, strict=True):
                    cos[i] = float(s)
        self.last_ms = (time.perf_counter() - start) * 1000
        return [Hit(r + 1, fused[i], cos.get(i, 0.0), self.chunks[i]) for r, i in enumerate(order)]

    def relevant(self, hits: list[Hit]) -> bool:
        return bool(hits) and max(h.dense for h in hits) >= RELEVANCE_THRESHOLD


def index_dir_for(settings: Settings) -> Path:
    """The shipped corpus indexes into the repo's index/ (when writable); anything else into the data dir."""
    custom = settings.corpus_dir is not None and settings.corpus_dir.resolve() != default_corpus_dir().resolve()
    has_notes = settings.user_notes_dir.is_dir() and any(settings.user_notes_dir.rglob("*.md"))
    if not custom and not has_notes and os.access(SHIPPED_INDEX_DIR.parent, os.W_OK):
        return SHIPPED_INDEX_DIR
    return settings.user_index_dir


def gather(settings: Settings) -> tuple[Corpus, list[Chunk], dict[str, str]]:
    """Chunks of the corpus and of the user's added notes, with a hash per source file (for staleness)."""
    corpus_dir = settings.corpus_dir or default_corpus_dir()
    corpus = load_corpus(corpus_dir)
    chunks = chunk_corpus(corpus)
    files = {t.path: file_hash(corpus_dir / t.path) for t in corpus.topics}
    notes = settings.user_notes_dir
    if notes.is_dir():
        for path in sorted(notes.rglob("*.md")):
            rel = str(path.relative_to(notes))
            text = path.read_text(encoding="utf-8")
            origin = text.splitlines()[0].removeprefix("<!-- source: ").removesuffix(" -->") if text else rel
            for section in _note_sections(text):
                chunks.extend(chunk_section(section, origin, "notes", "user"))
            files[f"notes/{rel}"] = file_hash(path)
    return corpus, chunks, files


def _note_sections(text: str) -> list[Section]:
    from tutor.corpus.loader import _notes_sections

    lines = text.splitlines()
    title = next((ln.lstrip("# ").strip() for ln in lines if ln.startswith("# ")), "notes")
    return _notes_sections(lines, 0, len(lines), title)


def build(settings: Settings, *, force: bool = False, progress: Progress | None = None) -> dict[str, object]:
    _corpus, chunks, files = gather(settings)
    return build_index(chunks, files, index_dir_for(settings), shared_embedder(), force=force, progress=progress)


def status(settings: Settings) -> dict[str, object]:
    directory = index_dir_for(settings)
    try:
        loaded = load_index(directory)
    except (IndexMissing, IndexCorrupt) as exc:
        return {"present": False, "location": str(directory), "problem": str(exc)}
    _corpus, _chunks, files = gather(settings)
    built = loaded.manifest["files"]
    stale = sorted(f for f in set(files) | set(built) if files.get(f) != built.get(f))
    return {
        "present": True,
        "location": str(directory),
        "chunks": len(loaded.chunks),
        "files": len(built),
        "model": loaded.manifest["model"],
        "built_at": loaded.manifest["built_at"],
        "index_type": loaded.manifest["index_type"],
        "stale_files": stale,
    }


def load_retriever(settings: Settings, *, rebuild_if_broken: bool = True) -> Retriever:
    """Load the index; a corrupt or mismatched one is rebuilt (with a message on stderr), a missing one raises."""
    directory = index_dir_for(settings)
    try:
        loaded = load_index(directory)
    except IndexCorrupt as exc:
        if not rebuild_if_broken:
            raise
        print(f"tutor: {exc}; rebuilding the index…", file=sys.stderr)
        build(settings, force=True)
        loaded = load_index(directory)
    return Retriever(loaded, shared_embedder())
