"""A kata's history as typed records, and what it adds up to (pure: no I/O).

The progress store (:mod:`trainer.learner.progress`) reads rows into these frozen dataclasses;
nothing leaves it as a loose row or dict.

What a kata's status means (:class:`KataProgress`):

- ``new``: never graded (opening it or reading hints does not count);
- ``attempted``: graded at least once, never passed;
- ``solved``: passed once; breaking the file later does not unsolve it. ``unavailable``
  verdicts ("not verified here") are recorded but are never a pass.

``attempts`` counts every grading of the learner's own kata file (review files are counted
apart), ``attempts_to_solve`` those up to and including the first pass, ``hints_used`` the hints
revealed before the first pass (all revealed so far while unsolved), and
``solution_revealed_before_solving`` whether ``katas solution`` was used before that pass.

A *round* is what a rating judges (:mod:`trainer.learner.review`): the first solve, from the kata's
first trace to its first pass, or a review, from ``katas review`` opening the review file to its
pass.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from trainer.grading.verdict import Status
from trainer.learner.review import CardState, Grade, RoundEvidence

__all__ = [
    "Attempt",
    "Clock",
    "Event",
    "EventKind",
    "KataHistory",
    "KataProgress",
    "ProgressNotice",
    "ProgressStatus",
    "Recorded",
    "ReviewCard",
    "ReviewRecord",
    "RoundKind",
    "Session",
    "review_evidence",
    "sha256_hex",
    "solve_evidence",
    "summarize",
    "utc_now",
]

Clock = Callable[[], datetime]
ProgressStatus = Literal["new", "attempted", "solved"]
EventKind = Literal["opened", "hint", "solution", "reset", "review"]
"""``opened``: the starter was written; ``review``: ``katas review`` opened a review file."""
RoundKind = Literal["solve", "review"]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def sha256_hex(data: bytes) -> str:
    """The hash recorded for graded code."""
    return hashlib.sha256(data).hexdigest()


# -- records --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """One grading of a learner file."""

    id: int
    kata_id: str
    at: datetime
    status: Status
    checks_passed: int
    checks_total: int
    duration: float
    device: str
    code_sha256: str | None
    starter: bool = False
    """The graded code was the kata's untouched starter (not a try, see
    ``trainer.learner.review``)."""
    review: bool = False
    """The graded file was a review file, not the learner's kata file."""
    imported: bool = False
    """Reconstructed from the old ``state.json`` (its times and statuses are approximate)."""

    @property
    def passed(self) -> bool:
        return self.status is Status.PASSED

    @property
    def is_try(self) -> bool:
        """Whether this grading counts as a try of the learner's own work."""
        return not self.starter and self.status is not Status.UNAVAILABLE


@dataclass(frozen=True)
class Event:
    """Something the learner did besides grading: opened, hint, solution, reset, review."""

    id: int
    kata_id: str
    at: datetime
    kind: EventKind
    detail: int | None = None
    """For ``hint``: the 0-based index of the hint shown."""


@dataclass(frozen=True)
class Session:
    """Time spent with a kata open (``katas watch`` records one when it leaves a kata)."""

    id: int
    kata_id: str
    started_at: datetime
    seconds: float


@dataclass(frozen=True)
class ReviewRecord:
    """One rated round: a first solve or a passed review, and when it made the kata due."""

    id: int
    kata_id: str
    at: datetime
    kind: RoundKind
    grade: Grade
    due: datetime


@dataclass(frozen=True)
class ReviewCard:
    """A solved kata's review schedule."""

    kata_id: str
    due: datetime
    last_review: datetime | None
    stability: float | None
    difficulty: float | None
    state: int
    step: int | None
    review_opened_at: datetime | None
    """When ``katas review`` opened the review now in progress; None when none is."""
    reviews: int = 0
    """Reviews passed so far (the first solve not counted)."""
    last_grade: Grade | None = None

    def is_due(self, now: datetime) -> bool:
        return self.due <= now

    @property
    def in_progress(self) -> bool:
        return self.review_opened_at is not None

    @property
    def card_state(self) -> CardState:
        return CardState(
            state=self.state,
            step=self.step,
            stability=self.stability,
            difficulty=self.difficulty,
            due=self.due,
            last_review=self.last_review,
        )


@dataclass(frozen=True)
class KataProgress:
    """Everything the store knows about one kata, summarised."""

    kata_id: str
    status: ProgressStatus
    attempts: int = 0
    attempts_to_solve: int | None = None
    solved_at: datetime | None = None
    hints_used: int = 0
    hints_revealed: int = 0
    """Hints shown so far in the current round (a review starts again from the first)."""
    solution_revealed: bool = False
    solution_revealed_before_solving: bool = False
    time_spent: float = 0.0
    last_status: Status | None = None
    last_attempt_at: datetime | None = None
    review_attempts: int = 0
    card: ReviewCard | None = None

    @property
    def next_review(self) -> datetime | None:
        return self.card.due if self.card else None


@dataclass(frozen=True)
class Recorded:
    """What recording an attempt did."""

    attempt: Attempt
    first_solve: bool = False
    """This attempt was the kata's first pass."""
    grade: Grade | None = None
    """The rating of the round this attempt ended, when it (re)scheduled the kata."""
    card: ReviewCard | None = None
    """The kata's review card after this attempt."""
    review_not_open: bool = False
    """A review file passed, but no review was opened (``katas review``): nothing rescheduled."""


@dataclass(frozen=True)
class ProgressNotice:
    """Something the learner should be told once, e.g. that a damaged store was set aside."""

    message: str
    moved_to: Path | None = None

    def __str__(self) -> str:
        return self.message


# -- summarising a kata's history (pure) ----------------------------------------------------


@dataclass(frozen=True)
class KataHistory:
    """All rows about one kata, oldest first."""

    kata_id: str
    attempts: tuple[Attempt, ...] = ()
    events: tuple[Event, ...] = ()
    sessions: tuple[Session, ...] = ()
    reviews: tuple[ReviewRecord, ...] = ()
    card: ReviewCard | None = None

    @property
    def kata_attempts(self) -> list[Attempt]:
        return [a for a in self.attempts if not a.review]

    @property
    def first_pass(self) -> Attempt | None:
        return next((a for a in self.kata_attempts if a.passed), None)

    def round_start(self) -> datetime | None:
        """When the open review began, or None when no review is in progress."""
        return self.card.review_opened_at if self.card else None

    def hints_between(self, since: datetime | None, until: datetime | None) -> int:
        return len(
            {
                e.detail
                for e in self.events
                if e.kind == "hint"
                and (since is None or e.at >= since)
                and (until is None or e.at <= until)
            }
        )

    def solution_between(self, since: datetime | None, until: datetime | None) -> bool:
        return any(
            e.kind == "solution"
            and (since is None or e.at >= since)
            and (until is None or e.at <= until)
            for e in self.events
        )


def summarize(history: KataHistory) -> KataProgress:
    kata = history.kata_attempts
    first = history.first_pass
    last = kata[-1] if kata else None
    status: ProgressStatus = "solved" if first else "attempted" if kata else "new"
    solved_at = first.at if first else None
    return KataProgress(
        kata_id=history.kata_id,
        status=status,
        attempts=len(kata),
        attempts_to_solve=sum(a.id <= first.id for a in kata) if first else None,
        solved_at=solved_at,
        hints_used=history.hints_between(None, solved_at),
        hints_revealed=history.hints_between(history.round_start(), None),
        solution_revealed=history.solution_between(None, None),
        solution_revealed_before_solving=(
            first is not None and history.solution_between(None, solved_at)
        ),
        time_spent=sum((s.seconds for s in history.sessions), 0.0),
        last_status=last.status if last else None,
        last_attempt_at=last.at if last else None,
        review_attempts=sum(a.review for a in history.attempts),
        card=history.card,
    )


def solve_evidence(history: KataHistory, passed: Attempt) -> RoundEvidence:
    """The first-solve round: from the kata's first trace up to ``passed``."""
    kata = [a for a in history.kata_attempts if a.id <= passed.id]
    moments = [a.at for a in kata]
    moments += [e.at for e in history.events if e.at <= passed.at]
    moments += [s.started_at for s in history.sessions if s.started_at <= passed.at]
    start = min(moments, default=passed.at)
    return RoundEvidence(
        tries=max(1, sum(a.is_try for a in kata)),
        hints=history.hints_between(None, passed.at),
        solution_revealed=history.solution_between(None, passed.at),
        seconds=(passed.at - start).total_seconds() if start < passed.at else None,
    )


def review_evidence(history: KataHistory, passed: Attempt, opened_at: datetime) -> RoundEvidence:
    """A review round: from ``katas review`` opening the review file up to ``passed``."""
    tries = [a for a in history.attempts if a.review and a.at >= opened_at and a.id <= passed.id]
    return RoundEvidence(
        tries=max(1, sum(a.is_try for a in tries)),
        hints=history.hints_between(opened_at, passed.at),
        solution_revealed=history.solution_between(opened_at, passed.at),
        seconds=(passed.at - opened_at).total_seconds() if opened_at < passed.at else None,
    )
