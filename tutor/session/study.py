"""A study session: the agent graph, the progress DB and the question picker wired together.

``StudySession.send(text)`` runs one learner turn and yields events as the agent produces them; the TUI and the
headless chat are both thin loops around it.
"""

from __future__ import annotations

import sqlite3
import time
import unicodedata
import uuid
from collections.abc import Iterator
from typing import Any

from tutor.agent.events import event, question_event
from tutor.agent.graph import AgentDeps, AttemptRecord, build_graph, exercise_question_event
from tutor.agent.state import Mode, TutorState
from tutor.config import Settings
from tutor.corpus.loader import load_corpus
from tutor.corpus.model import Corpus
from tutor.errors import BadInput, ProgressStoreError
from tutor.session.resources import Resources
from tutor.session.scheduler import EXAM_SECONDS_PER_QUESTION, QuestionPicker, record_reviewed_attempt
from tutor.session.store import ProgressStore

MAX_INPUT_CHARS = 4000
MODES: tuple[Mode, ...] = ("review", "learn", "diagnostic", "exam")


def clean_input(text: str) -> tuple[str, bool]:
    """NFC-normalise, drop control characters (keeping newlines and tabs), cap the length; report truncation."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    truncated = len(text) > MAX_INPUT_CHARS
    return text[:MAX_INPUT_CHARS].strip(), truncated


def open_checkpointer(settings: Settings) -> Any:
    from langgraph.checkpoint.sqlite import SqliteSaver

    path = settings.home / "checkpoints.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(path, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        saver = SqliteSaver(conn)
        saver.setup()
    except sqlite3.DatabaseError as exc:
        raise ProgressStoreError(f"session checkpoint file {path} is unreadable: {exc}") from exc
    return saver


class StudySession:
    def __init__(
        self,
        settings: Settings,
        resources: Resources,
        *,
        mode: Mode = "review",
        topic: str | None = None,
        corpus: Corpus | None = None,
        store: ProgressStore | None = None,
        checkpointer: Any = None,
        resume: bool = True,
    ) -> None:
        if mode not in MODES:
            raise BadInput(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
        self.settings = settings
        self.resources = resources
        self.corpus = corpus or load_corpus(settings.corpus_dir)
        topics = {t.topic for t in self.corpus.topics}
        if topic is not None and topic not in topics:
            raise BadInput(f"unknown topic {topic!r}", hint=f"topics: {', '.join(sorted(topics))}")
        self.store = store or ProgressStore(settings.db_path)
        self.picker = QuestionPicker(self.corpus, self.store)
        self.mode: Mode = mode
        self.topic = topic
        existing = self.store.open_session(mode, topic) if resume else None
        self.session_id = existing or uuid.uuid4().hex[:12]
        self.resumed = existing is not None
        self.store.start_session(self.session_id, mode, topic)
        self.deps = AgentDeps(
            corpus=self.corpus,
            record_attempt=self._record,
            pick_next=self._pick,
            backend=resources.backend,
            retriever=resources.retriever,
            progress_summary=self.progress,
            retriever_unavailable=self._retriever_unavailable,
            grading_mode=settings.grading_mode,
            max_tokens=min(settings.max_tokens, 256),
            temperature=settings.temperature,
        )
        self.graph = build_graph(self.deps, checkpointer if checkpointer is not None else open_checkpointer(settings))
        self.config = {"configurable": {"thread_id": self.session_id}}

    # Wiring for the agent ------------------------------------------------------------------------------
    def _record(self, rec: AttemptRecord) -> None:
        record_reviewed_attempt(self.store, rec)

    def _retriever_unavailable(self) -> str:
        error = self.resources.index.error
        if error is not None:
            return error.user_message()
        return "The search index is still loading; ask again in a few seconds."

    def _pick(self, state: TutorState) -> tuple[str | None, str]:
        return self.picker.pick(
            state.get("mode", self.mode), state.get("topic"), state.get("asked", []), state.get("queue", [])
        )

    # Public API ----------------------------------------------------------------------------------------
    @property
    def state(self) -> TutorState:
        return self.graph.get_state(self.config).values  # type: ignore[no-any-return]

    @property
    def current_question(self) -> Any:
        qid = self.state.get("question_id")
        return self.deps.questions.get(qid) if qid else None

    @property
    def finished(self) -> bool:
        return bool(self.state.get("done"))

    def start(self) -> Iterator[dict[str, Any]]:
        """Show the current question when resuming, else plan the session and ask the first question."""
        if self.resumed and self.state and not self.finished:
            yield event("info", message=f"Resuming session {self.session_id}.")
            if self.graph.get_state(self.config).next:
                # Killed mid-turn (e.g. while feedback streamed): finish that turn first. Its attempt key makes a
                # re-run grade record once, and its events say where the session now stands.
                finished_turn = list(self.graph.stream(None, self.config, stream_mode="custom"))
                yield from finished_turn
                if any(ev["type"] == "question" for ev in finished_turn) or self.finished:
                    return
            if self.current_question is not None:
                yield question_event(self.current_question, due="resumed")
            elif self.state.get("exercise"):
                yield exercise_question_event(self.state["exercise"], due="resumed")
            else:
                yield from self._run({"input": ""})
            return
        queue = self.picker.plan(self.mode, self.topic, self.session_id)
        initial: TutorState = {
            "session_id": self.session_id,
            "mode": self.mode,
            "topic": self.topic,
            "input": "",
            "turn": 0,
            "question_id": None,
            "hint_level": 0,
            "queue": queue,
            "asked": [],
            "exam_results": [],
            "started_at": time.time(),
            "time_limit_s": EXAM_SECONDS_PER_QUESTION * len(queue) if self.mode == "exam" else None,
            "done": False,
        }
        yield from self._run(initial)

    def send(self, text: str) -> Iterator[dict[str, Any]]:
        """One learner turn: route, act, and stream what the tutor says."""
        if self.finished:
            yield event("info", message="This session is over; start a new one.")
            return
        cleaned, truncated = clean_input(text)
        if truncated:
            yield event("info", message=f"Your answer was cut to its first {MAX_INPUT_CHARS} characters.")
        yield from self._run({"input": cleaned})

    def _run(self, update: TutorState) -> Iterator[dict[str, Any]]:
        yield from self.graph.stream(update, self.config, stream_mode="custom")

    def progress(self) -> dict[str, Any]:
        counts = {t.topic: len(t.questions) for t in self.corpus.topics}
        return self.store.progress_report(counts)

    def close(self) -> None:
        """End the session cleanly (a later run starts a new one); a crash leaves it open to resume."""
        self.store.end_session(self.session_id)
