"""Spaced repetition (FSRS via py-fsrs) and which question comes next."""

from __future__ import annotations

import json
import random
from datetime import datetime

from fsrs import Card, Rating, Scheduler

from tutor.agent.records import AttemptRecord
from tutor.corpus.model import Corpus, Question
from tutor.session.store import ProgressStore, now_utc

# A correct answer this fast, with no hints, is rated Easy.
FAST_CORRECT_SECONDS = 30.0
EXAM_LENGTH = 10
# A placement test stays short: this many topics per run, unplaced topics first, so a second run places the rest.
DIAGNOSTIC_LENGTH = 12
EXAM_SECONDS_PER_QUESTION = 120  # an interview gives a few minutes per conceptual question
_SCHEDULER = Scheduler(enable_fuzzing=False)


def rating_for(verdict: str, *, seconds: float, hints_used: int) -> Rating:
    """incorrect -> Again, partial -> Hard, correct -> Good, fast correct -> Easy; hints cap a correct at Hard."""
    if verdict == "incorrect":
        return Rating.Again
    if verdict == "partial":
        return Rating.Hard
    if verdict != "correct":
        raise ValueError(f"unknown verdict {verdict!r}")
    if hints_used:
        return Rating.Hard
    # 0 s means the time is unknown (a solution file graded by `tutor exercise`): not evidence of a fast recall.
    return Rating.Easy if 0 < seconds <= FAST_CORRECT_SECONDS else Rating.Good


def review(card_json: str | None, rating: Rating, at: datetime | None = None) -> tuple[str, datetime]:
    """The question's card after this review, as JSON, and when it is next due."""
    card = Card.from_dict(json.loads(card_json)) if card_json else Card()
    card, _log = _SCHEDULER.review_card(card, rating, review_datetime=at or now_utc())
    return json.dumps(card.to_dict()), card.due


def record_reviewed_attempt(store: ProgressStore, rec: AttemptRecord) -> bool:
    """Store an attempt with its question's card moved on by the FSRS rating its grade earns (False if a replay)."""
    rating = rating_for(rec.verdict, seconds=rec.seconds, hints_used=rec.hints_used)
    card_json, due = review(store.card(rec.question_id), rating)
    return store.record_attempt(rec, card_json, due)


class QuestionPicker:
    def __init__(self, corpus: Corpus, store: ProgressStore) -> None:
        self.corpus = corpus
        self.store = store
        self.by_id = {q.id: q for q in corpus.questions}
        self.by_topic: dict[str, list[Question]] = {}
        for q in corpus.questions:
            self.by_topic.setdefault(q.topic, []).append(q)
        for qs in self.by_topic.values():
            qs.sort(key=lambda q: (q.difficulty, q.id))

    def plan(self, mode: str, topic: str | None, seed: str) -> list[str]:
        """A fixed question list for diagnostic (one easy question per topic) and exam (a random sample)."""
        if mode == "diagnostic":
            placed = self.store.mastery()
            seen = self.store.seen_question_ids()
            order = sorted(self.by_topic, key=lambda t: (t in placed, t))
            picks = [next((q for q in self.by_topic[t] if q.id not in seen), self.by_topic[t][0]) for t in order]
            return [q.id for q in picks[:DIAGNOSTIC_LENGTH]]
        if mode == "exam":
            pool = self.by_topic.get(topic, []) if topic else list(self.by_id.values())
            pool = [q for q in pool if q.kind != "code"]
            rng = random.Random(seed)
            return [q.id for q in rng.sample(pool, min(EXAM_LENGTH, len(pool)))]
        return []

    def pick(self, mode: str, topic: str | None, asked: list[str], queue: list[str]) -> tuple[str | None, str]:
        if mode in ("diagnostic", "exam"):
            remaining = [q for q in queue if q not in asked]
            return (remaining[0], "new") if remaining else (None, "")
        recent = set(asked[-3:])
        due = [q for q in self.store.due_question_ids(topic=topic) if self._servable(q) and q not in recent]
        seen = self.store.seen_question_ids()
        if mode == "learn" and topic:
            fresh = [q.id for q in self.by_topic.get(topic, []) if q.id not in seen and q.id not in asked]
            if fresh:
                return fresh[0], "new"
            return (due[0], "due") if due else (None, "")
        if due:
            return due[0], "due"
        for weak_topic in self._topics_weakest_first(topic):
            fresh = [q.id for q in self.by_topic[weak_topic] if q.id not in seen and q.id not in asked]
            if fresh:
                return fresh[0], "new"
        return None, ""

    def _servable(self, question_id: str) -> bool:
        """A corpus question, or a code exercise whose card came from an earlier submission."""
        from tutor.exercises.catalog import EXERCISES

        return question_id in self.by_id or question_id.removeprefix("exercise:") in EXERCISES

    def _topics_weakest_first(self, topic: str | None) -> list[str]:
        if topic:
            return [topic] if topic in self.by_topic else []
        mastery = self.store.mastery()
        # Unstudied topics sit in the middle (0.5): weak known topics first, then new ground, then strong ones.
        return sorted(self.by_topic, key=lambda t: (mastery.get(t, 0.5), t))
