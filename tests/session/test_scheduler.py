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
