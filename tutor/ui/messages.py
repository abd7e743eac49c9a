"""Messages workers post to the app; workers never touch widgets, the app's handlers do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message


@dataclass
class TutorEvent(Message):
    """One agent event (question, token, grade, answer, hint, tool, info, error, reveal, report)."""

    payload: dict[str, Any]


@dataclass
class TurnFinished(Message):
    session_over: bool = False  # the session has ended (/quit, no questions left, exam over): say how to go on


@dataclass
class TurnFailed(Message):
    message: str
    hint: str = ""
