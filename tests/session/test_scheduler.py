from __future__ import annotations

import pytest
from fsrs import Rating

from tutor.session.scheduler import rating_for, review


@pytest.mark.parametrize(
    ("verdict", "seconds", "hints", "rating"),
    [
        ("incorrect", 5, 0, Rating.Again),
        ("partial", 5, 0, Rating.Hard),
        ("correct", 120, 0, Rating.Good),
        ("correct", 10, 0, Rating.Easy),
        ("correct", 10, 2, Rating.Hard),
        ("correct", 0, 0, Rating.Good),
    ],
)
def test_grade_to_fsrs_rating(verdict: str, seconds: float, hints: int, rating: Rating) -> None:
    assert rating_for(verdict, seconds=seconds, hints_used=hints) == rating


def test_unknown_verdict_raises() -> None:
    with pytest.raises(ValueError):
        rating_for("great", seconds=1, hints_used=0)


def test_again_is_due_sooner_than_easy() -> None:
    _, due_again = review(None, Rating.Again)
    _, due_easy = review(None, Rating.Easy)
    assert due_again < due_easy


def test_diagnostic_is_short_and_a_second_run_places_the_remaining_topics(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tutor.agent.records import AttemptRecord
    from tutor.corpus.loader import load_corpus
    from tutor.session.scheduler import DIAGNOSTIC_LENGTH, QuestionPicker
    from tutor.session.store import ProgressStore

    corpus = load_corpus(None)
    store = ProgressStore(tmp_path / "progress.sqlite3")
    picker = QuestionPicker(corpus, store)
    first = picker.plan("diagnostic", None, "s1")
    topics = [picker.by_id[q].topic for q in first]
    assert len(first) == DIAGNOSTIC_LENGTH == len(set(topics)), "one question per topic, a short test"
    for qid in first:  # the diagnostic's answers, recorded as the session records them
        card, due = review(None, rating_for("partial", seconds=20, hints_used=0))
        record = AttemptRecord(qid, "s1", qid, picker.by_id[qid].topic, "an answer", "partial", 0.5, (), 0.5, 0, 20.0)
        store.record_attempt(record, card, due)
    second = {picker.by_id[q].topic for q in picker.plan("diagnostic", None, "s2")}
    assert not second & set(topics), "unplaced topics come first"
