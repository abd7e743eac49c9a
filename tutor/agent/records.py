"""What the agent asks the session layer to store for every graded attempt (no LangGraph import here,
so the progress store and `tutor progress` stay light)."""

from __future__ import annotations

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
