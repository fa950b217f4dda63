"""Spaced review: a rating derived from what the learner did, and an FSRS schedule from it.

The learner is never asked to grade themselves. When a kata is first solved, and again each time
a review of it is passed, :func:`derive_rating` turns what happened in that round into an FSRS
rating, and :func:`schedule` feeds it to the ``fsrs`` package's scheduler to set the next due
date.

The rules, first match wins (the thresholds are the constants below):

1. the reference solution was revealed during the round → **Again**;
2. a hint was revealed, or the pass took :data:`HARD_TRIES` tries or more → **Hard**;
3. the first try passed within :data:`EASY_SECONDS` of the round's start, no hints → **Easy**;
4. otherwise → **Good**.

A *try* is a graded attempt of the learner's own work: gradings of the untouched starter
(``katas watch`` grades a kata as soon as it opens it) and ``unavailable`` verdicts (not verified
here) are not tries. A *round* starts when the kata is first touched (its file written, a hint, a
grading, whichever came first) for the first solve, and when ``katas review`` opens a fresh review
file for a review. Time is wall-clock time from the round's start to the pass, so a kata left
open overnight is not "fast"; when nothing happened before the pass, the time is unknown and the
rating is at best Good.

The scheduler runs without learning steps and without fuzzing: katas are reviewed in days, not
minutes, and the same history always gives the same schedule (tests use a fixed clock). With
the default FSRS parameters a first solve rated Again or Hard is due again after 1 day, Good after
2 days, Easy after 8 days; each later pass stretches the interval.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fsrs import Rating, Scheduler

__all__ = [
    "EASY_SECONDS",
    "HARD_TRIES",
    "CardState",
    "Grade",
    "RoundEvidence",
    "derive_rating",
    "schedule",
]

HARD_TRIES = 4
"""A pass that needed this many tries or more (three failed tries first) is rated Hard."""

EASY_SECONDS = 10 * 60.0
"""A first-try pass without hints within this many seconds of the round's start is Easy."""


class Grade(str, Enum):
    """The FSRS rating of one round, by name (how it is stored in JSON and shown)."""

    AGAIN = "again"
    HARD = "hard"
    GOOD = "good"
    EASY = "easy"

    @property
    def rating(self) -> Rating:
        return _ratings()[self]

    @classmethod
    def of(cls, rating: Rating) -> Grade:
        return next(grade for grade, value in _ratings().items() if value == rating)


@cache
def _ratings() -> dict[Grade, Rating]:
    # fsrs is imported when a round is scheduled, not with the progress store: reading
    # progress (the trainer's first frame) never needs it
    from fsrs import Rating

    return {
        Grade.AGAIN: Rating.Again,
        Grade.HARD: Rating.Hard,
        Grade.GOOD: Rating.Good,
        Grade.EASY: Rating.Easy,
    }


@dataclass(frozen=True)
class RoundEvidence:
    """What happened in one round, up to and including the passing attempt."""

    tries: int
    """Graded attempts of the learner's own work, the pass included (so at least 1)."""
    hints: int
    """Distinct hints revealed during the round."""
    solution_revealed: bool
    """Whether the reference solution was revealed during the round."""
    seconds: float | None
    """Wall-clock seconds from the round's start to the pass; None when unknown."""


def derive_rating(evidence: RoundEvidence) -> Grade:
    """The rating for a round, by the rules in the module docstring."""
    if evidence.solution_revealed:
        return Grade.AGAIN
    if evidence.hints > 0 or evidence.tries >= HARD_TRIES:
        return Grade.HARD
    if evidence.tries <= 1 and evidence.seconds is not None and evidence.seconds <= EASY_SECONDS:
        return Grade.EASY
    return Grade.GOOD


@dataclass(frozen=True)
class CardState:
    """A kata's FSRS card as the progress store keeps it."""

    state: int
    """``fsrs.State``: 1 learning, 2 review, 3 relearning."""
    step: int | None
    stability: float | None
    difficulty: float | None
    due: datetime
    last_review: datetime | None


@cache
def _scheduler() -> Scheduler:
    from fsrs import Scheduler

    return Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)


def _card_id(kata_id: str) -> int:
    return zlib.crc32(kata_id.encode("utf-8"))


def schedule(kata_id: str, card: CardState | None, grade: Grade, at: datetime) -> CardState:
    """The card after a round rated ``grade`` ended at ``at``; ``None`` starts a new card."""
    from fsrs import Card, State

    at = at.astimezone(timezone.utc)
    if card is None:
        current = Card(card_id=_card_id(kata_id), due=at)
    else:
        current = Card(
            card_id=_card_id(kata_id),
            state=State(card.state),
            step=card.step,
            stability=card.stability,
            difficulty=card.difficulty,
            due=card.due,
            last_review=card.last_review,
        )
    reviewed, _log = _scheduler().review_card(current, grade.rating, review_datetime=at)
    return CardState(
        state=int(reviewed.state),
        step=reviewed.step,
        stability=reviewed.stability,
        difficulty=reviewed.difficulty,
        due=reviewed.due,
        last_review=reviewed.last_review,
    )
