"""Graph state: what LangGraph checkpoints after every node, so a killed session resumes where it was."""

from __future__ import annotations

from typing import Literal, TypedDict

Mode = Literal["review", "learn", "diagnostic", "exam"]
Route = Literal["answer", "followup", "hint", "skip", "reveal", "explain", "compute", "command", "start", "code"]


class TutorState(TypedDict, total=False):
    session_id: str
    mode: Mode
    topic: str | None
    input: str
    route: Route
    turn: int  # learner inputs handled so far
    question_id: str | None
    exercise: str | None  # the code exercise handed out, whose submissions are graded in the sandbox
    hint_level: int  # 0..3 for the current question
    tries: int  # graded attempts at the current question (a retry has seen the reference in the grade)
    asked_at: float  # wall-clock time the current question was shown
    queue: list[str]  # fixed question plan for diagnostic and exam modes
    asked: list[str]  # questions shown this session, newest last
    exam_results: list[dict[str, object]]
    started_at: float  # wall-clock start of the session, for the exam clock and the report
    time_limit_s: float | None  # exam mode only: the whole exam's time budget
    done: bool
