"""Progress DB (SQLite, WAL): every attempt, FSRS card state per question, topic mastery, sessions.

Writes commit as they happen. Attempts carry a unique key (session id + turn number), so a turn replayed after a
crash or ``kill -9`` is recorded once, never twice.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tutor.agent.records import AttemptRecord
from tutor.errors import ProgressStoreError

SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, mode TEXT NOT NULL, topic TEXT, started_at TEXT NOT NULL, ended_at TEXT
);
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY,
    attempt_key TEXT NOT NULL UNIQUE,
    session_id TEXT NOT NULL,
    question_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    answer TEXT NOT NULL,
    verdict TEXT NOT NULL,
    score REAL NOT NULL,
    credit REAL NOT NULL,
    hints_used INTEGER NOT NULL,
    flags TEXT NOT NULL,
    seconds REAL NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS attempts_by_topic ON attempts(topic, created_at);
CREATE TABLE IF NOT EXISTS cards (
    question_id TEXT PRIMARY KEY, topic TEXT NOT NULL, card TEXT NOT NULL, due TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS mastery (topic TEXT PRIMARY KEY, value REAL NOT NULL, updated_at TEXT NOT NULL);
"""
# Exponential moving average weight of the newest attempt in a topic's mastery.
MASTERY_ALPHA = 0.3


def now_utc() -> datetime:
    return datetime.now(UTC)


class ProgressStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.executescript(SCHEMA)
            self.conn.execute(
                "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )
        except sqlite3.DatabaseError as exc:
            raise ProgressStoreError(f"progress database {path} is unreadable: {exc}") from exc

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                yield self.conn
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise

    # Sessions --------------------------------------------------------------------------------------
    def start_session(self, session_id: str, mode: str, topic: str | None) -> None:
        with self._tx() as c:
            c.execute(
                "INSERT OR IGNORE INTO sessions(id, mode, topic, started_at) VALUES (?, ?, ?, ?)",
                (session_id, mode, topic, now_utc().isoformat()),
            )

    def end_session(self, session_id: str) -> None:
        with self._tx() as c:
            c.execute("UPDATE sessions SET ended_at = ? WHERE id = ?", (now_utc().isoformat(), session_id))

    def open_session(self, mode: str, topic: str | None = None) -> str | None:
        """The newest unfinished session of this mode and topic, to resume after a crash."""
        row = self.conn.execute(
            "SELECT id FROM sessions WHERE mode = ? AND topic IS ? AND ended_at IS NULL ORDER BY started_at DESC "
            "LIMIT 1",
            (mode, topic),
        ).fetchone()
        return str(row["id"]) if row else None

    # Attempts and cards ----------------------------------------------------------------------------
    def record_attempt(self, attempt: AttemptRecord, card_json: str, due: datetime) -> bool:
        """Store the attempt, its question's new FSRS card and the topic mastery in one transaction.

        Returns False (and changes nothing) when this attempt key was already recorded.
        """
        stamp = now_utc().isoformat()
        with self._tx() as c:
            cur = c.execute(
                "INSERT OR IGNORE INTO attempts(attempt_key, session_id, question_id, topic, answer, verdict, score,"
                " credit, hints_used, flags, seconds, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    attempt.attempt_key,
                    attempt.session_id,
                    attempt.question_id,
                    attempt.topic,
                    attempt.answer,
                    attempt.verdict,
                    attempt.score,
                    attempt.credit,
                    attempt.hints_used,
                    json.dumps(list(attempt.flags)),
                    attempt.seconds,
                    stamp,
                ),
            )
            if cur.rowcount == 0:
                return False
            c.execute(
                "INSERT INTO cards(question_id, topic, card, due) VALUES (?,?,?,?) ON CONFLICT(question_id) "
                "DO UPDATE SET card = excluded.card, due = excluded.due",
                (attempt.question_id, attempt.topic, card_json, due.isoformat()),
            )
            self._update_mastery(c, attempt.topic, attempt.credit, stamp)
        return True

    @staticmethod
    def _update_mastery(c: sqlite3.Connection, topic: str, credit: float, stamp: str) -> None:
        row = c.execute("SELECT value FROM mastery WHERE topic = ?", (topic,)).fetchone()
        value = credit if row is None else (1 - MASTERY_ALPHA) * float(row["value"]) + MASTERY_ALPHA * credit
        c.execute(
            "INSERT INTO mastery(topic, value, updated_at) VALUES (?,?,?) ON CONFLICT(topic) "
            "DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            (topic, value, stamp),
        )

    def card(self, question_id: str) -> str | None:
        row = self.conn.execute("SELECT card FROM cards WHERE question_id = ?", (question_id,)).fetchone()
        return str(row["card"]) if row else None

    def due_question_ids(self, at: datetime | None = None, topic: str | None = None) -> list[str]:
        at = at or now_utc()
        sql = "SELECT question_id FROM cards WHERE due <= ?"
        args: list[Any] = [at.isoformat()]
        if topic:
            sql += " AND topic = ?"
            args.append(topic)
        return [r["question_id"] for r in self.conn.execute(sql + " ORDER BY due", args)]

    def seen_question_ids(self) -> set[str]:
        return {r["question_id"] for r in self.conn.execute("SELECT question_id FROM cards")}

    def attempts(self, session_id: str | None = None) -> list[sqlite3.Row]:
        if session_id:
            return list(self.conn.execute("SELECT * FROM attempts WHERE session_id = ? ORDER BY id", (session_id,)))
        return list(self.conn.execute("SELECT * FROM attempts ORDER BY id"))

    def mastery(self) -> dict[str, float]:
        return {r["topic"]: float(r["value"]) for r in self.conn.execute("SELECT topic, value FROM mastery")}

    # Reports ---------------------------------------------------------------------------------------
    def progress_report(self, topics: dict[str, int]) -> dict[str, Any]:
        """Per-topic mastery, due counts, streak, weakest topics and accuracy per day.

        ``topics`` maps every corpus topic to its number of questions, so unseen topics show up too.
        """
        mastery = self.mastery()
        now = now_utc()
        due: dict[str, int] = dict.fromkeys(topics, 0)
        for r in self.conn.execute(
            "SELECT topic, COUNT(*) AS n FROM cards WHERE due <= ? GROUP BY topic", (now.isoformat(),)
        ):
            due[r["topic"]] = int(r["n"])
        seen: dict[str, int] = dict.fromkeys(topics, 0)
        for r in self.conn.execute("SELECT topic, COUNT(*) AS n FROM cards GROUP BY topic"):
            seen[r["topic"]] = int(r["n"])
        days = [
            {"day": r["day"], "attempts": int(r["n"]), "accuracy": round(float(r["acc"]), 3)}
            for r in self.conn.execute(
                "SELECT substr(created_at, 1, 10) AS day, COUNT(*) AS n,"
                " AVG(CASE WHEN verdict = 'correct' THEN 1.0 ELSE 0.0 END) AS acc"
                " FROM attempts GROUP BY day ORDER BY day"
            )
        ]
        per_topic = {
            t: {
                "mastery": round(mastery.get(t, 0.0), 3),
                "due": due.get(t, 0),
                "seen": seen.get(t, 0),
                "questions": n,
            }
            for t, n in topics.items()
        }
        studied = [t for t in topics if t in mastery]
        weakest = sorted(studied, key=lambda t: mastery[t])[:5]
        total = self.conn.execute("SELECT COUNT(*) FROM attempts").fetchone()[0]
        return {
            "topics": per_topic,
            "due_total": sum(due.values()),
            "attempts": int(total),
            "streak_days": _streak([d["day"] for d in days], now),
            "weakest": weakest,
            "accuracy_by_day": days,
        }


def _streak(days: list[str], now: datetime) -> int:
    """Consecutive days with at least one attempt, ending today or yesterday."""
    have = set(days)
    day = now.date()
    if day.isoformat() not in have:
        day -= timedelta(days=1)
    streak = 0
    while day.isoformat() in have:
        streak += 1
        day -= timedelta(days=1)
    return streak
