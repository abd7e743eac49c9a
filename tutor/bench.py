"""`tutor bench`: where time goes, measured in one run on one model and thread count.

Raw llama-cpp-python is the baseline for decode and prompt-eval speed; the tutor's own path (backend protocol,
agent graph, grader, retrieval) is measured against it. Every figure is measured here, nothing is estimated.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tutor.config import Settings
from tutor.stats import summarize

DECODE_PROMPT = "Explain, in about 120 words, why the LSTM cell state eases vanishing gradients."


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def decode_raw(llm: Any, max_tokens: int) -> dict[str, float]:
    """Baseline: llama-cpp-python's own streaming completion, timed token by token."""
    messages = [{"role": "user", "content": DECODE_PROMPT}]
    llm.reset()  # no KV reuse: prompt eval is measured from scratch
    start = time.perf_counter()
    first = None
    n = 0
    for chunk in llm.create_chat_completion(messages=messages, max_tokens=max_tokens, temperature=0.0, stream=True):
        if chunk["choices"][0]["delta"].get("content"):
            n += 1
            if first is None:
                first = time.perf_counter()
    end = time.perf_counter()
    prompt_tokens = len(llm.tokenize(DECODE_PROMPT.encode())) + 10  # + chat template tokens (approximate)
    assert first is not None, "the model produced no tokens"
    return {
        "decode_tps": (n - 1) / max(end - first, 1e-9),
        "prompt_eval_tps": prompt_tokens / max(first - start, 1e-9),
        "tokens": n,
    }


def decode_tutor(backend: Any, max_tokens: int) -> dict[str, float]:
    """The tutor's path: the backend protocol's stream(), as the agent consumes it."""
    backend.llm.reset()
    start = time.perf_counter()
    first = None
    n = 0
    for _piece in backend.stream([{"role": "user", "content": DECODE_PROMPT}], max_tokens=max_tokens, temperature=0.0):
        n += 1
        if first is None:
            first = time.perf_counter()
    end = time.perf_counter()
    assert first is not None, "the backend produced no tokens"
    return {"decode_tps": (n - 1) / max(end - first, 1e-9), "ttft_ms": (first - start) * 1000, "tokens": n}


def startup_interactive_ms(settings: Settings) -> float:
    """Process start to the study screen accepting input, in a fresh process (imports included).

    The time is taken when Textual reports the app ready (first frame drawn, input handled), not after an idle
    pause: the model and index load in the background, so the CPU is not idle then. It is written to a file, since
    the app owns the terminal's stdout while it runs.
    """
    out = Path(tempfile.mkdtemp(prefix="tutor-bench-startup-")) / "ms"
    code = (
        "import time, os, asyncio, pathlib\n"
        "t0 = float(os.environ['TUTOR_BENCH_T0'])\n"
        "from tutor.config import get_settings\n"
        "from tutor.ui.app import make_app\n"
        "app = make_app(get_settings())\n"
        "async def main():\n"
        "    async with app.run_test(size=(120, 40)):\n"
        "        pathlib.Path(os.environ['TUTOR_BENCH_OUT']).write_text(repr((time.time() - t0) * 1000))\n"
        "        app.exit()\n"
        "asyncio.run(main())\n"
    )
    env = {
        **os.environ,
        "TUTOR_BENCH_T0": repr(time.time()),
        "TUTOR_BENCH_OUT": str(out),
        "TUTOR_HOME": str(settings.home),
    }
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    if proc.returncode != 0 or not out.is_file():
        raise RuntimeError(f"start-up probe failed (exit {proc.returncode}): {proc.stderr[-500:]}")
    return float(out.read_text())


def scratch_home() -> Path:
    return Path(tempfile.mkdtemp(prefix="tutor-bench-"))


def dump(result: dict[str, Any]) -> str:
    return json.dumps(result, indent=2, default=float)


def grading_latency(mode: str, limit: int, backend: Any = None) -> dict[str, float]:
    """Per-answer grading time on the frozen test split, as the quiz loop sees it (question prepared, encoders warm)."""
    from tutor.grading.dataset import CASES_DIR
    from tutor.grading.evaluate import load_cases, run

    cases = load_cases(CASES_DIR / "test.jsonl")[:limit]
    _grades, latencies = run(cases, mode=mode, backend=backend)
    return {**summarize(latencies), "n": len(latencies)}


def ttft_feedback(settings: Settings, backend: Any, answers: list[str]) -> list[float]:
    """Submit answers through the real session (grade, feedback prompt, stream) and time the first feedback token."""
    from tutor.session.resources import Resources
    from tutor.session.study import StudySession

    resources = Resources(settings, backend_factory=lambda: backend, retriever_factory=lambda: None, wait=True)
    session = StudySession(settings, resources, mode="learn", topic="attention", resume=False)
    list(session.start())
    out = []
    for answer in answers:
        start = time.perf_counter()
        first = None
        for ev in session.send(answer):
            if ev["type"] == "token" and first is None:
                first = (time.perf_counter() - start) * 1000
        if first is not None:
            out.append(first)
        list(session.send("/skip"))
    session.close()
    return out


def retrieval_latency(settings: Settings, queries: list[str], repeat: int) -> dict[str, float]:
    from tutor.retrieval import load_retriever

    retriever = load_retriever(settings)
    retriever.search("warm-up")
    times = []
    for _ in range(repeat):
        for q in queries:
            retriever.search(q, k=5)
            times.append(retriever.last_ms)
    return {**summarize(times), "chunks": len(retriever.chunks)}


def synthetic_search(n: int, queries: int = 200) -> dict[str, dict[str, float]]:
    """Flat vs HNSW at n random unit vectors: search latency (the query is pre-embedded) and HNSW recall@10."""
    import faiss
    import numpy as np

    rng = np.random.default_rng(0)
    base = rng.standard_normal((n, 384)).astype(np.float32)
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    qs = base[rng.integers(0, n, queries)] + 0.05 * rng.standard_normal((queries, 384)).astype(np.float32)
    qs /= np.linalg.norm(qs, axis=1, keepdims=True)
    flat = faiss.IndexFlatIP(384)
    flat.add(base)
    hnsw = faiss.IndexHNSWFlat(384, 32, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efSearch = 128
    hnsw.add(base)
    out: dict[str, dict[str, float]] = {}
    truth = None
    for name, index in (("flat", flat), ("hnsw", hnsw)):
        times, found = [], []
        for q in qs:
            start = time.perf_counter()
            _, ids = index.search(q[None, :], 10)
            times.append((time.perf_counter() - start) * 1000)
            found.append(ids[0])
        if truth is None:
            truth = found
        recall = sum(len(set(a) & set(b)) for a, b in zip(found, truth, strict=True)) / (10 * queries)
        out[name] = {**summarize(times), "recall_at_10": round(recall, 4)}
    return out
