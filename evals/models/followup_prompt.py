"""Measure the follow-up answer prompt with the real model: is the answer right, cited, and does it decline?

    PYTHONPATH=. python evals/models/followup_prompt.py [--variant current|before] [--model MODEL.gguf] > report.md

(PYTHONPATH=. makes sure this checkout's ``tutor`` is measured, whatever the editable install points at.)

Every case goes through ``answer_question`` (passage choice, trimming, ``build_messages``, temperature) as in
`tutor ask`. The first three cases use the hand-written passages of ``compare_models.py``; the others retrieve
from the real index. ``--variant before`` swaps in the prompt the tutor sent before the quote-first prompt, so both
can be measured on the same host. A check column is a crude regex guess; read the replies.
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from tutor.backends.base import ChatMessage
from tutor.backends.llama_cpp import LlamaCppBackend
from tutor.retrieval import answer
from tutor.retrieval.chunking import Chunk
from tutor.retrieval.retriever import Hit

BEFORE_SYSTEM = (
    "You answer ML interview follow-up questions using only the numbered passages given. "
    "Cite passages inline like [1] or [2]. If the passages do not answer the question, say so. Be concise."
)


def before_messages(question: str, citations: list[answer.Citation]) -> list[ChatMessage]:
    passages = "\n".join(f"[{c.n}] ({c.heading.split(' > ')[-1]}) {answer._trim(c.text)}" for c in citations)
    return [
        {"role": "system", "content": BEFORE_SYSTEM},
        {"role": "user", "content": f"Passages:\n{passages}\n\nQuestion: {question}"},
    ]


NORMS = [
    (
        "LayerNorm",
        "LayerNorm normalizes each token's feature vector: mean and variance are taken over the last (feature) "
        "dimension, so it behaves the same in training and inference and does not depend on batch size.",
    ),
    (
        "BatchNorm",
        "BatchNorm normalizes each feature over the batch dimension and keeps running statistics for inference.",
    ),
]
OPTIMIZERS = [
    ("Momentum", "SGD with momentum keeps an exponential moving average of past gradients and steps along it."),
    (
        "Adam",
        "Adam keeps exponential moving averages of the gradient and of the squared gradient, corrects both for their "
        "zero initialisation, and divides the first by the square root of the second.",
    ),
]
YES_NO = r"(?is)^(?!\W*(\[\d\]\W*)?yes\b).*\b(no\b|does not depend|doesn't depend|independent)"
NOT_COVERED = r"(?i)(passages? (do|does) not|not (covered|mentioned|stated|in the passages)|no passage)"

# (name, question, hand-written passages or None for the real index, regex a right answer matches, what is right)
CASES: list[tuple[str, str, list[tuple[str, str]] | None, str, str]] = [
    ("followup", "Does LayerNorm depend on the batch size?", NORMS, YES_NO, "no"),
    (
        "followup_adam",
        "What does Adam track besides the moving average of the gradient?",
        OPTIMIZERS,
        r"(?i)squared gradient",
        "squared gradient",
    ),
    ("followup_absent", "Which learning rate should I use for Adam?", NORMS, NOT_COVERED, "not covered"),
    ("index_layernorm", "Does LayerNorm depend on the batch size?", None, YES_NO, "no"),
    (
        "index_batchnorm",
        "Does BatchNorm behave differently in training and inference?",
        None,
        r"(?i)^\W*yes\b|behaves differently|batch statistics|running",
        "yes",
    ),
    (
        "index_dropout",
        "Does dropout drop units at inference time?",
        None,
        r"(?i)^\W*no\b|not drop|no units|nothing",
        "no",
    ),
    (
        "index_forget",
        "What does the forget gate do in an LSTM?",
        None,
        r"(?i)(scales|decides|controls).{0,40}(old|previous|cell)",
        "scales the old cell state",
    ),
    ("index_absent", "Which GPU should I buy to train a transformer?", None, NOT_COVERED, "not covered"),
]


class Fixed:
    """A retriever that returns the given passages, for the hand-written cases."""

    last_ms = 0.0

    def __init__(self, passages: list[tuple[str, str]]) -> None:
        self.hits = [
            Hit(i, 1.0, 0.9, Chunk(h, "notes.md", f"Notes > {h}", "notes", t, 1, 2, "note"))
            for i, (h, t) in enumerate(passages)
        ]

    def search(self, query: str, k: int = 5, topic: str | None = None) -> list[Hit]:
        return self.hits[:k]

    def relevant(self, hits: list[Hit]) -> bool:
        return True


class Timed:
    """Wraps a backend to record the time to the first streamed piece and the number of pieces."""

    def __init__(self, inner: LlamaCppBackend) -> None:
        self.inner = inner
        self.first = 0.0
        self.n = 0

    def stream(self, messages: Sequence[ChatMessage], **kwargs: object) -> Iterator[str]:
        start = time.perf_counter()
        self.first, self.n = 0.0, 0
        for piece in self.inner.stream(messages, **kwargs):  # type: ignore[arg-type]
            if not self.n:
                self.first = time.perf_counter() - start
            self.n += 1
            yield piece


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--variant", choices=("current", "before"), default="current")
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--only", default="", help="comma-separated case names")
    args = parser.parse_args()
    if args.variant == "before":
        answer.SYSTEM = BEFORE_SYSTEM
        answer.build_messages = before_messages
    from tutor.backends.models import resolve_model_path
    from tutor.config import get_settings
    from tutor.retrieval import load_retriever

    settings = get_settings()
    path = resolve_model_path(args.model, settings.models_dir)
    t0 = time.perf_counter()
    backend = LlamaCppBackend(path, n_ctx=4096, n_threads=2, warm_prompts=(answer.SYSTEM,), prompt_cache=True)
    load_s = time.perf_counter() - t0
    print(f"## {args.variant} prompt, {path.name}\n\nload + warm-up (system prompt cached): {load_s:.1f} s\n")
    index = load_retriever(settings)
    timed = Timed(backend)
    rows = []
    only = {s for s in args.only.split(",") if s}
    for name, question, passages, right, expected in CASES:
        if only and name not in only:
            continue
        retriever = Fixed(passages) if passages else index
        reply = answer.answer_question(retriever, timed, question)  # type: ignore[arg-type]
        prompt = answer.build_messages(question, reply.citations)[1]["content"]
        n_prompt = len(backend.llm.tokenize(prompt.encode()))
        ok = bool(re.search(right, reply.text))
        cited = bool(re.search(r"\[\d\]", reply.text))
        rows.append((name, question, expected, ok, cited, timed.first, timed.n, reply.generation_ms / 1000))
        print(f"### {name}: {question}\n")
        verdict = "ok" if ok else "WRONG?"
        print(f"expected: {expected}; check: {verdict}; cited: {cited}; user prompt {n_prompt} tokens;")
        print(f"first token {timed.first:.2f} s, {timed.n} tokens, {reply.generation_ms / 1000:.1f} s in all\n")
        print("passages: " + "; ".join(f"[{c.n}] {c.heading.split(' > ')[-1][:70]}" for c in reply.citations) + "\n")
        print("> " + reply.text.strip().replace("\n", "\n> ") + "\n")
    print("| case | expected | check | cited | first token | tokens | total |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, _q, expected, ok, cited, first, n, total in rows:
        print(f"| {name} | {expected} | {'ok' if ok else 'WRONG?'} | {cited} | {first:.2f} s | {n} | {total:.1f} s |")


if __name__ == "__main__":
    main()
