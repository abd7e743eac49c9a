"""What the agent asks the session layer to store for every graded attempt (no LangGraph import here,
so the progress store and `tutor progress` stay light)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class AttemptRecord:
    attempt_key: str
    session_id: str
    question_id: str
    topic: str
    answer: str
    verdict: str
    score: float
    flags: tuple[str, ...]
    credit: float
    hints_used: int
    seconds: float


def attempt_key(session_id: str, question_id: str, turn: int, answer: str) -> str:
    """Same session, question, turn and answer -> same key: a turn replayed after a crash is recorded once."""
    digest = hashlib.sha256(answer.encode("utf-8", "replace")).hexdigest()[:16]
    return f"{session_id}:{question_id}:{turn}:{digest}"
