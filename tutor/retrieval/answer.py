"""Answer a follow-up question from retrieved passages, with [n] citations; say so when nothing relevant is found."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from tutor.backends.base import ChatBackend, ChatMessage
from tutor.errors import TutorError
from tutor.retrieval.retriever import Hit, Retriever

SYSTEM = (
    "Answer only from the numbered passages. First copy the one passage sentence that answers the question, in "
    "quotes, with its number like [1]; then answer in one short sentence that agrees with that quote. If no passage "
    "sentence answers the question, do not guess: say that the passages do not cover it."
)
PASSAGE_WORDS = 110  # passages are trimmed: prompt eval costs ~10 ms per token on 2 cores
NOT_FOUND = (
    "I couldn't find this in the study notes, so I won't guess. Try rephrasing, or ask about a topic in `tutor search`."
)


@dataclass(frozen=True)
class Citation:
    n: int
    source: str
    heading: str
    text: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class Answer:
    text: str
    citations: list[Citation] = field(default_factory=list)
    found: bool = True
    retrieval_ms: float = 0.0
    generation_ms: float = 0.0


def _trim(text: str) -> str:
    words = text.split()
    return " ".join(words[:PASSAGE_WORDS]) + (" …" if len(words) > PASSAGE_WORDS else "")


def build_messages(question: str, citations: list[Citation]) -> list[ChatMessage]:
    """The chat messages for a follow-up: the fixed system prompt (cached), then the numbered passages and question."""
    passages = "\n".join(f"[{c.n}] ({c.heading.split(' > ')[-1]}) {_trim(c.text)}" for c in citations)
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"Passages:\n{passages}\n\nQuestion: {question}"},
    ]


def _prefer(hits: list[Hit], topic: str | None) -> list[Hit]:
    return sorted(hits, key=lambda h: (h.chunk.topic != topic, h.rank)) if topic else hits


def answer_question(
    retriever: Retriever,
    backend: ChatBackend | None,
    question: str,
    *,
    topic: str | None = None,
    prefer_topic: str | None = None,
    k: int = 3,
    max_tokens: int = 200,
    on_token: Callable[[str], None] | None = None,
    withhold_question: str | None = None,
) -> Answer:
    """Retrieve, then answer from the passages with [n] citations.

    ``withhold_question`` is the id of the question the learner is working on: its own reference-answer passage is
    left out, so a follow-up teaches around the question instead of handing over the answer for free.
    """
    hits = retriever.search(question, k=k + 3, topic=topic)
    if withhold_question:
        hits = [h for h in hits if not (h.chunk.kind == "qa" and f" > Q {withhold_question}:" in h.chunk.heading)]
    retrieval_ms = retriever.last_ms
    if not retriever.relevant(hits):
        if on_token:
            on_token(NOT_FOUND)
        return Answer(NOT_FOUND, [], False, retrieval_ms, 0.0)
    chosen = _prefer(hits, prefer_topic)[:k]
    citations = [Citation(i + 1, h.chunk.source, h.chunk.heading, h.chunk.text) for i, h in enumerate(chosen)]
    start = time.perf_counter()
    if backend is None:
        text = f"The model is still loading; the most relevant passage [1]: {_trim(chosen[0].chunk.text)}"
        if on_token:
            on_token(text)
        return Answer(text, citations, True, retrieval_ms, 0.0)
    messages = build_messages(question, citations)
    parts: list[str] = []
    try:
        for piece in backend.stream(messages, max_tokens=max_tokens, temperature=0.1):
            parts.append(piece)
            if on_token:
                on_token(piece)
    except TutorError:
        if not parts:
            raise
    return Answer("".join(parts).strip(), citations, True, retrieval_ms, (time.perf_counter() - start) * 1000)
