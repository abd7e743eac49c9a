from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from fsrs import Rating

from tutor.agent.records import AttemptRecord
from tutor.errors import ProgressStoreError
from tutor.session.scheduler import review
from tutor.session.store import ProgressStore, now_utc


def _attempt(key: str, verdict: str = "correct", topic: str = "lstm", qid: str = "lstm-001") -> AttemptRecord:
    credit = {"correct": 1.0, "partial": 0.5, "incorrect": 0.0}[verdict]
    return AttemptRecord(key, "s1", qid, topic, "answer", verdict, credit, (), credit, 0, 12.0)


def test_attempt_recorded_once_per_key(tmp_path: Path) -> None:
    store = ProgressStore(tmp_path / "p.db")
    card, due = review(None, Rating.Good)
    assert store.record_attempt(_attempt("k1"), card, due) is True
    assert store.record_attempt(_attempt("k1"), card, due) is False
    assert len(store.attempts()) == 1


def test_attempts_survive_a_new_connection(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    store = ProgressStore(path)
    card, due = review(None, Rating.Again)
    store.record_attempt(_attempt("k1", "incorrect"), card, due)
    store.conn.close()  # no explicit end: like a killed process
    again = ProgressStore(path)
    assert [r["verdict"] for r in again.attempts()] == ["incorrect"]
    assert again.card("lstm-001") is not None


def test_due_cards_and_mastery(tmp_path: Path) -> None:
    store = ProgressStore(tmp_path / "p.db")
    past = now_utc() - timedelta(days=30)
    card, due = review(None, Rating.Again, at=past)
    store.record_attempt(_attempt("k1", "incorrect"), card, due)
    card2, due2 = review(None, Rating.Easy)
    store.record_attempt(_attempt("k2", "correct", topic="gnn", qid="gnn-001"), card2, due2)
    assert store.due_question_ids() == ["lstm-001"]
    assert store.due_question_ids(topic="gnn") == []
    report = store.progress_report({"lstm": 3, "gnn": 2, "cfr": 4})
    assert report["topics"]["cfr"] == {"mastery": 0.0, "due": 0, "seen": 0, "questions": 4}
    assert report["weakest"][0] == "lstm" and report["attempts"] == 2 and report["streak_days"] == 1
    assert report["accuracy_by_day"][0]["accuracy"] == 0.5


def test_corrupt_db_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(ProgressStoreError, match="unreadable"):
        ProgressStore(path)


def test_wal_mode(tmp_path: Path) -> None:
    store = ProgressStore(tmp_path / "p.db")
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert isinstance(store.conn, sqlite3.Connection)
