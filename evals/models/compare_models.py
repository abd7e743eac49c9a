"""Compare candidate GGUF chat models on tutoring prompts: speed (tok/s) and the replies, for a human to judge.

    python evals/models/compare_models.py MODEL.gguf [MODEL.gguf ...] > report.md

Each prompt is one the tutor really sends: feedback on a graded answer, a cited follow-up answer from passages,
and a tool call under a JSON grammar.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from tutor.agent import prompts
from tutor.backends.llama_cpp import LlamaCppBackend

PASSAGES = (
    "[1] LayerNorm normalizes each token's feature vector: mean and variance are taken over the last (feature) "
    "dimension, so it behaves the same in training and inference and does not depend on batch size.\n"
    "[2] BatchNorm normalizes each feature over the batch dimension and keeps running statistics for inference."
)
CASES = {
    "feedback": prompts.FEEDBACK.format(
        question="Why do we scale attention scores by sqrt(d_k)?",
        verdict="partial",
        score=0.5,
        matched="dot products grow with d_k",
        missing="large logits saturate softmax and shrink gradients",
        misconceptions="none",
    ),
    "followup": f"Passages:\n{PASSAGES}\n\nUsing only the passages, answer with [n] citations: "
    "Does LayerNorm depend on the batch size?",
    "tool_json": "Compute the LoRA parameter count for a 4096x4096 matrix with rank 8. Reply with JSON "
    '{"tool": "lora_params", "arguments": {...}} using argument names d_in, d_out, rank.',
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
    for name, prompt in CASES.items():
        messages = [{"role": "system", "content": prompts.SYSTEM}, {"role": "user", "content": prompt}]
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
