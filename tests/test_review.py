"""Spaced review: the rating comes from what happened, the schedule from FSRS at a fixed clock."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from trainer.learner.review import (
    EASY_SECONDS,
    HARD_TRIES,
    Grade,
    RoundEvidence,
    derive_rating,
    schedule,
)

NOON = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)


def evidence(
    tries: int = 2, hints: int = 0, solution: bool = False, seconds: float | None = 120.0
) -> RoundEvidence:
    return RoundEvidence(tries=tries, hints=hints, solution_revealed=solution, seconds=seconds)


@pytest.mark.parametrize(
    ("round_", "grade"),
    [
        (evidence(solution=True), Grade.AGAIN),
        (evidence(tries=1, solution=True, seconds=5), Grade.AGAIN),  # the reveal wins
        (evidence(hints=1), Grade.HARD),
        (evidence(tries=1, hints=1, seconds=5), Grade.HARD),
        (evidence(tries=HARD_TRIES), Grade.HARD),
        (evidence(tries=HARD_TRIES - 1), Grade.GOOD),
        (evidence(tries=2), Grade.GOOD),
        (evidence(tries=1, seconds=EASY_SECONDS + 1), Grade.GOOD),  # first try, but slow
        (evidence(tries=1, seconds=None), Grade.GOOD),  # how long it took is unknown
        (evidence(tries=1, seconds=EASY_SECONDS), Grade.EASY),
        (evidence(tries=1, seconds=30), Grade.EASY),
    ],
)
def test_the_rating_is_derived_from_what_happened(round_: RoundEvidence, grade: Grade) -> None:
    assert derive_rating(round_) is grade


def test_a_new_card_is_due_later_the_better_the_rating() -> None:
    due = {grade: schedule("k", None, grade, NOON).due - NOON for grade in Grade}
    assert due[Grade.AGAIN] == due[Grade.HARD] == timedelta(days=1)
    assert due[Grade.GOOD] == timedelta(days=2)
    assert due[Grade.EASY] == timedelta(days=8)


def test_the_schedule_is_deterministic_and_intervals_grow_with_good_reviews() -> None:
    card = schedule("k", None, Grade.GOOD, NOON)
    assert card == schedule("k", None, Grade.GOOD, NOON)  # no fuzz: same history, same dates
    intervals = []
    for _ in range(4):
        reviewed_at = card.due
        card = schedule("k", card, Grade.GOOD, reviewed_at)
        assert card.last_review == reviewed_at
        intervals.append(card.due - reviewed_at)
    assert intervals == sorted(intervals) and intervals[0] < intervals[-1]


def test_again_after_good_reviews_shortens_the_interval() -> None:
    card = schedule("k", None, Grade.GOOD, NOON)
    card = schedule("k", card, Grade.GOOD, card.due)
    good = schedule("k", card, Grade.GOOD, card.due)
    again = schedule("k", card, Grade.AGAIN, card.due)
    assert again.due < good.due
    assert again.due - card.due >= timedelta(days=1)  # days, not minutes: no learning steps


def test_grades_round_trip_through_their_names() -> None:
    for grade in Grade:
        assert Grade.of(grade.rating) is grade
        assert Grade(grade.value) is grade
