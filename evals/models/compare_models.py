"""Compare candidate GGUF chat models on tutoring prompts: speed (tok/s) and the replies, for a human to judge.

    python evals/models/compare_models.py MODEL.gguf [MODEL.gguf ...] > report.md

Each prompt is one the tutor really sends, with the system prompt it is sent with: feedback on a graded answer
(the tutor's system prompt), a cited follow-up answer from passages (the retrieval answerer's system prompt and
passage format), including one the passages do not answer, and a tool call under a JSON grammar.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from tutor.agent import prompts
from tutor.backends.base import ChatMessage
from tutor.backends.llama_cpp import LlamaCppBackend
from tutor.retrieval import answer

NORMS = (
    "[1] (LayerNorm) LayerNorm normalizes each token's feature vector: mean and variance are taken over the last "
    "(feature) dimension, so it behaves the same in training and inference and does not depend on batch size.\n"
    "[2] (BatchNorm) BatchNorm normalizes each feature over the batch dimension and keeps running statistics for "
    "inference."
)
OPTIMIZERS = (
    "[1] (Momentum) SGD with momentum keeps an exponential moving average of past gradients and steps along it.\n"
    "[2] (Adam) Adam keeps exponential moving averages of the gradient and of the squared gradient, corrects both "
    "for their zero initialisation, and divides the first by the square root of the second."
)


def followup(passages: str, question: str) -> tuple[str, str]:
    return answer.SYSTEM, f"Passages:\n{passages}\n\nQuestion: {question}"


def feedback(question: str, verdict: str, score: float, matched: str, missing: str, wrong: str) -> tuple[str, str]:
    text = prompts.FEEDBACK.format(
        question=question, verdict=verdict, score=score, matched=matched, missing=missing, misconceptions=wrong
    )
    return prompts.SYSTEM, text


CASES = {
    "feedback": feedback(
        "Why do we scale attention scores by sqrt(d_k)?",
        "partial",
        0.5,
        "dot products grow with d_k",
        "large logits saturate softmax and shrink gradients",
        "none",
    ),
    "feedback_wrong": feedback(
        "What does dropout do at inference time?",
        "incorrect",
        0.0,
        "none",
        "no units are dropped at inference; inverted dropout scales activations during training instead",
        "dropout keeps dropping units at inference",
    ),
    "followup": followup(NORMS, "Does LayerNorm depend on the batch size?"),
    "followup_adam": followup(OPTIMIZERS, "What does Adam track besides the moving average of the gradient?"),
    "followup_absent": followup(NORMS, "Which learning rate should I use for Adam?"),
    "tool_json": (
        prompts.SYSTEM,
        "Compute the LoRA parameter count for a 4096x4096 matrix with rank 8. Reply with JSON "
        '{"tool": "lora_params", "arguments": {...}} using argument names d_in, d_out, rank.',
    ),
}
TOOL_SCHEMA = {
    "type": "object",
    "properties": {"tool": {"type": "string"}, "arguments": {"type": "object"}},
    "required": ["tool", "arguments"],
}


def run(path: Path) -> None:
    t0 = time.perf_counter()
    backend = LlamaCppBackend(path, n_ctx=4096, n_threads=2)
    print(f"## {path.name}\n\nload + warm-up: {time.perf_counter() - t0:.1f} s\n")
    for name, (system, prompt) in CASES.items():
        messages: list[ChatMessage] = [{"role": "system", "content": system}, {"role": "user", "content": prompt}]
        start = time.perf_counter()
        if name == "tool_json":
            reply = json.dumps(backend.complete_json(messages, TOOL_SCHEMA, max_tokens=80))
            first = time.perf_counter() - start
            n = len(backend.llm.tokenize(reply.encode()))
        else:
            pieces: list[str] = []
            first = 0.0
            for piece in backend.stream(messages, max_tokens=160, temperature=0.0):
                if not pieces:
                    first = time.perf_counter() - start
                pieces.append(piece)
            reply = "".join(pieces)
            n = len(pieces)
        total = time.perf_counter() - start
        if name == "tool_json":  # not streamed: only the whole call's time means anything
            print(f"### {name}: {total:.2f} s for {n} tokens (grammar-constrained)\n")
        else:
            rate = n / max(total - first, 1e-6)
            print(f"### {name}: first token {first:.2f} s, {n} tokens, {rate:.1f} tok/s after the first\n")
        print("> " + reply.strip().replace("\n", "\n> ") + "\n")


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        run(Path(arg))
