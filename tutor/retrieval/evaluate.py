"""Retrieval quality on labelled learner queries: recall@1/@5, MRR and latency for dense, BM25 and hybrid."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tutor.errors import BadInput
from tutor.retrieval.chunking import Chunk
from tutor.retrieval.retriever import Retriever
from tutor.stats import summarize

QUERIES = Path(__file__).resolve().parents[2] / "evals" / "retrieval" / "queries.jsonl"
MODES = ("dense", "bm25", "hybrid")


def is_relevant(chunk: Chunk, targets: list[dict[str, str]]) -> bool:
    """Labels name a question id or a (file, heading substring), so they survive re-chunking."""
    for t in targets:
        if "question_id" in t and f"Q {t['question_id']}:" in chunk.heading:
            return True
        if "source" in t and chunk.source == t["source"] and t["heading_contains"] in chunk.heading:
            return True
    return False


def load_queries(path: Path = QUERIES) -> list[dict[str, Any]]:
    if not path.is_file():
        raise BadInput(f"no retrieval queries at {path}")
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                row = json.loads(line)
                assert isinstance(row["query"], str) and row["relevant"]
            except (json.JSONDecodeError, KeyError, AssertionError) as exc:
                raise BadInput(f"{path}:{n}: expected {{query, relevant: [...]}} ({exc})") from exc
            rows.append(row)
    return rows


def evaluate(retriever: Retriever, queries: list[dict[str, Any]], k: int = 5) -> dict[str, Any]:
    retriever.search("warm-up")
    out: dict[str, Any] = {"n": len(queries)}
    for mode in MODES:
        r1 = r5 = rr = 0.0
        times = []
        for q in queries:
            hits = retriever.search(q["query"], k=max(k, 10), mode=mode)  # type: ignore[arg-type]
            times.append(retriever.last_ms)
            ranks = [h.rank for h in hits if is_relevant(h.chunk, q["relevant"])]
            first = min(ranks) if ranks else None
            r1 += first == 1
            r5 += first is not None and first <= k
            rr += 1 / first if first else 0
        n = max(len(queries), 1)
        lat = summarize(times)
        out[mode] = {
            "recall@1": round(r1 / n, 3),
            f"recall@{k}": round(r5 / n, 3),
            "mrr": round(rr / n, 3),
            "latency_ms": {"p50": lat["p50"], "p95": lat["p95"]},
        }
    return out
