"""Typed corpus objects: what the loader produces and every other layer consumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["concept", "compare", "derive", "compute", "code"]
KINDS: tuple[Kind, ...] = ("concept", "compare", "derive", "compute", "code")


@dataclass(frozen=True)
class ToolCall:
    name: str
    args: dict[str, Any]


@dataclass(frozen=True)
class Question:
    id: str
    topic: str
    question: str
    difficulty: int
    kind: Kind
    answer: str
    key_points: tuple[str, ...]
    misconceptions: tuple[str, ...]
    source: str  # path relative to the corpus root
    line: int  # line of the question heading, 1-based
    seeds: tuple[str, ...] = ()
    tool: ToolCall | None = None
    check: tuple[str, ...] = ()
    tolerance: float = 0.01
    expected: dict[str, Any] | None = None
    exercise: str | None = None


@dataclass(frozen=True)
class Section:
    """A notes section: the text under one heading, with its heading path for citations."""

    heading_path: tuple[str, ...]
    text: str
    line_start: int
    line_end: int


@dataclass(frozen=True)
class TopicFile:
    topic: str
    title: str
    path: str
    summary: str = ""
    aliases: tuple[str, ...] = ()
    sections: tuple[Section, ...] = ()
    questions: tuple[Question, ...] = ()


@dataclass
class Corpus:
    topics: list[TopicFile] = field(default_factory=list)

    @property
    def questions(self) -> list[Question]:
        return [q for t in self.topics for q in t.questions]

    def question(self, qid: str) -> Question:
        for q in self.questions:
            if q.id == qid:
                return q
        raise KeyError(qid)

    def topic_names(self) -> list[str]:
        return [t.topic for t in self.topics]
