"""A kata's history as typed records, and what it adds up to (pure: no I/O).

The progress store (:mod:`trainer.learner.progress`) reads rows into these frozen dataclasses;
nothing leaves it as a loose row or dict.

What a kata's status means (:class:`KataProgress`):

- ``new``: never graded (opening it or reading hints does not count);
- ``attempted``: graded at least once, never passed;
- ``solved``: passed once; breaking the file later does not unsolve it. ``unavailable``
  verdicts ("not verified here") are recorded but are never a pass.

What counts as an attempt: a grading of work the learner did. Front ends grade whenever a kata
opens (the TUI on open, ``katas watch`` on start and after each pass), so two kinds of grading
are kept in the store but never counted:

- a grading of the untouched starter (:attr:`Attempt.starter`): it is no attempt, leaves the
  kata ``new`` and is never a pass, so opening a kata changes nothing;
- a *re-grading*: the same bytes as the grading just before it of the same file, with no reset
  or review opened in between (:func:`counted_attempts`). Opening an edited kata again, or
  starting ``katas watch`` on it, is no new attempt. It still reports a pass, though: a pass
  after a timeout or on another device solves the kata.

``attempts`` counts the attempts on the learner's own kata file (review files are counted apart,
in ``review_attempts``), ``attempts_to_solve`` those up to and including the first pass,
``hints_used`` the hints revealed before the first pass (all revealed so far while unsolved), and
``solution_revealed_before_solving`` whether ``katas solution`` was used before that pass.
``time_spent`` is the time a front end had the kata open, ``time_by_front_end`` the same split
by front end (:data:`FrontEnd`), so time in the TUI is never read as time in ``katas watch``.

A *round* is what a rating judges (:mod:`trainer.learner.review`): the first solve, from the kata's
first trace to its first pass, or a review, from ``katas review`` opening the review file to its
pass.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from trainer.grading.verdict import Status
from trainer.learner.review import CardState, Grade, RoundEvidence

__all__ = [
    "UNKNOWN_FRONT_END",
    "Attempt",
    "Clock",
    "Event",
    "EventKind",
    "FrontEnd",
    "KataHistory",
    "KataProgress",
    "ProgressNotice",
    "ProgressStatus",
    "Recorded",
    "ReviewCard",
    "ReviewRecord",
    "RoundKind",
    "Session",
    "counted_attempts",
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
FrontEnd = Literal["tui", "watch", "plain"]
"""Who had a kata open: the trainer (``katas``), ``katas watch`` (and ``katas review``), or the
plain trainer (``katas --plain``)."""
UNKNOWN_FRONT_END = "unknown"
"""The key of :attr:`KataProgress.time_by_front_end` for time recorded before front ends were
told apart (schema 2)."""
_FILE_REPLACED: frozenset[str] = frozenset({"reset", "review"})
"""Events after which the file under grading is a fresh starter: the next grading is new work."""


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
    """Time spent with a kata open, recorded by a front end when the learner leaves the kata."""

    id: int
    kata_id: str
    started_at: datetime
    seconds: float
    front_end: FrontEnd | None = None
    """Which front end had it open; None for time recorded before front ends were told apart."""


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
    time_by_front_end: Mapping[str, float] = field(default_factory=dict)
    """``time_spent`` per front end (:data:`FrontEnd`, or :data:`UNKNOWN_FRONT_END`)."""
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
    def kata_gradings(self) -> list[Attempt]:
        """Gradings of the learner's own work on the kata file: the starter's left out."""
        return [a for a in self.attempts if not a.review and not a.starter]

    @property
    def kata_attempts(self) -> list[Attempt]:
        """The attempts on the kata file: its gradings less re-gradings of unchanged code."""
        return [a for a in counted_attempts(self.attempts, self.events) if not a.review]

    @property
    def first_pass(self) -> Attempt | None:
        return next((a for a in self.kata_gradings if a.passed), None)

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


def counted_attempts(attempts: Sequence[Attempt], events: Sequence[Event] = ()) -> list[Attempt]:
    """The gradings among ``attempts`` (one kata's, oldest first) that are attempts.

    Left out: the untouched starter, and a re-grading, whose code has the same hash as the
    grading just before it of the same file (kata file or review file) with no reset or review
    opened in between; a grading whose code could not be read is never a re-grading.
    """
    replaced = [e.at for e in events if e.kind in _FILE_REPLACED]
    previous: dict[bool, Attempt] = {}
    counted: list[Attempt] = []
    for attempt in attempts:
        before = previous.get(attempt.review)
        previous[attempt.review] = attempt
        if attempt.starter:
            continue
        if (
            before is not None
            and attempt.code_sha256 is not None
            and attempt.code_sha256 == before.code_sha256
            and not any(before.at <= at <= attempt.at for at in replaced)
        ):
            continue
        counted.append(attempt)
    return counted


def _time_by_front_end(sessions: Sequence[Session]) -> dict[str, float]:
    split: dict[str, float] = {}
    for s in sessions:
        key = s.front_end or UNKNOWN_FRONT_END
        split[key] = split.get(key, 0.0) + s.seconds
    return split


def summarize(history: KataHistory) -> KataProgress:
    counted = counted_attempts(history.attempts, history.events)
    kata = [a for a in counted if not a.review]
    graded = history.kata_gradings
    first = history.first_pass
    last = graded[-1] if graded else None
    status: ProgressStatus = "solved" if first else "attempted" if kata else "new"
    solved_at = first.at if first else None
    return KataProgress(
        kata_id=history.kata_id,
        status=status,
        attempts=len(kata),
        attempts_to_solve=max(1, sum(a.id <= first.id for a in kata)) if first else None,
        solved_at=solved_at,
        hints_used=history.hints_between(None, solved_at),
        hints_revealed=history.hints_between(history.round_start(), None),
        solution_revealed=history.solution_between(None, None),
        solution_revealed_before_solving=(
            first is not None and history.solution_between(None, solved_at)
        ),
        time_spent=sum((s.seconds for s in history.sessions), 0.0),
        time_by_front_end=_time_by_front_end(history.sessions),
        last_status=last.status if last else None,
        last_attempt_at=last.at if last else None,
        review_attempts=sum(a.review for a in counted),
        card=history.card,
    )


def solve_evidence(history: KataHistory, passed: Attempt) -> RoundEvidence:
    """The first-solve round: from the kata's first trace (a starter's grading included: the
    starter was just written) up to ``passed``."""
    kata = [a for a in history.kata_attempts if a.id <= passed.id]
    moments = [a.at for a in history.attempts if not a.review and a.id <= passed.id]
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
    counted = counted_attempts(history.attempts, history.events)
    tries = [a for a in counted if a.review and a.at >= opened_at and a.id <= passed.id]
    return RoundEvidence(
        tries=max(1, sum(a.is_try for a in tries)),
        hints=history.hints_between(opened_at, passed.at),
        solution_revealed=history.solution_between(opened_at, passed.at),
        seconds=(passed.at - opened_at).total_seconds() if opened_at < passed.at else None,
    )
