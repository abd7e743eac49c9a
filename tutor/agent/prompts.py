"""Prompts kept short: prompt eval runs at ~95 tok/s on 2 cores, and the fixed system prompt comes first
so llama.cpp reuses its KV prefix across turns."""

from __future__ import annotations

SYSTEM = (
    "You are a concise, encouraging ML interview tutor. Be specific and correct. "
    "Never change a grade you are given. Use at most 3 sentences unless asked for more."
)

FEEDBACK = """Question: {question}
Verdict (final): {verdict} ({score:.0%}). Right: {matched}. Missing: {missing}. Wrong: {misconceptions}.
Using only the facts above and adding no others, tell the learner in 2-3 sentences what was right, what was missing
or wrong, and the key idea to remember."""

CLASSIFY = """A learner is answering this interview question: {question}
Their message: {text}
Is the message an ANSWER attempt or a FOLLOWUP question asking the tutor to explain something?"""

EXPLAIN = """Explain the answer to this interview question in more depth, with intuition and one example.
Question: {question}
Reference answer: {reference}"""


def bullet_list(items: list[str] | tuple[str, ...]) -> str:
    return "; ".join(items) if items else "none"
