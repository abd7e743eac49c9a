"""What the agent tells its caller, one small event at a time (JSON lines in `tutor chat --json`)."""

from __future__ import annotations

from typing import Any, Literal

EventType = Literal["question", "grade", "answer", "hint", "tool", "token", "info", "error", "reveal", "report"]


def event(event_type: EventType, /, **fields: Any) -> dict[str, Any]:
    """Events are plain dicts so they pass through LangGraph's custom stream and json.dumps unchanged."""
    return {"type": event_type, **fields}


def question_event(
    q: Any,
    *,
    due: str = "new",
    number: int | None = None,
    total: int | None = None,
    time_left_s: float | None = None,
) -> dict[str, Any]:
    return event(
        "question",
        id=q.id,
        topic=q.topic,
        difficulty=q.difficulty,
        kind=q.kind,
        text=q.question,
        due=due,
        number=number,
        total=total,
        time_left_s=None if time_left_s is None else round(max(0.0, time_left_s)),
    )
