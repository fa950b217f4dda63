"""``katas progress``: the progress report as a typed document (JSON, the TUI, the terminal).

The JSON document (``katas progress --json``, version :data:`REPORT_VERSION`) is documented in
the README; :class:`ProgressDocument` is its exact shape. Times are UTC, ISO 8601.

The streak is the number of days in a row, ending today or yesterday, with at least one graded
attempt (imported ones excluded: their times are approximate). Days are counted in the local time
zone unless a ``tz`` is given.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from trainer.kata.catalog import Catalog
from trainer.learner.history import counted_attempts
from trainer.learner.progress import (
    Attempt,
    Event,
    KataProgress,
    ProgressStatus,
    ProgressStore,
)
from trainer.learner.review import Grade

__all__ = [
    "RECENT",
    "REPORT_VERSION",
    "Activity",
    "KataEntry",
    "ProgressDocument",
    "TopicEntry",
    "Totals",
    "build_report",
    "streak_days",
]

REPORT_VERSION = 1
RECENT = 10
"""Entries in the report's recent activity."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KataEntry(_Model):
    id: str
    title: str
    topic: str
    status: ProgressStatus
    attempts: int
    attempts_to_solve: int | None
    hints_used: int
    solution_revealed_before_solving: bool
    solved_at: datetime | None
    last_attempt_at: datetime | None
    time_spent_seconds: float
    reviews: int
    last_rating: Grade | None
    next_review: datetime | None
    review_due: bool


class TopicEntry(_Model):
    topic: str
    katas: int
    new: int
    attempted: int
    solved: int


class Totals(_Model):
    katas: int
    new: int
    attempted: int
    solved: int
    attempts: int
    hints_used: int
    solutions_revealed: int
    time_spent_seconds: float
    reviews_due: int
    streak_days: int


class Activity(_Model):
    at: datetime
    kata_id: str
    kind: str
    """``attempt``, ``review-attempt``, ``opened``, ``hint``, ``solution``, ``reset``,
    ``review`` (a review opened)."""
    detail: str


class ProgressDocument(_Model):
    version: int = REPORT_VERSION
    generated_at: datetime
    workspace: str
    totals: Totals
    topics: list[TopicEntry]
    katas: list[KataEntry]
    recent: list[Activity]


def streak_days(days: Collection[date], today: date) -> int:
    """Days in a row with activity, ending today (or yesterday, since today is not over)."""
    day = today if today in days else today - timedelta(days=1)
    count = 0
    while day in days:
        count += 1
        day -= timedelta(days=1)
    return count


def _activity(item: Attempt | Event) -> Activity:
    if isinstance(item, Attempt):
        detail = f"{item.status.value}, {item.checks_passed}/{item.checks_total} checks"
        if item.device:
            detail += f" on {item.device}"
        kind = "review-attempt" if item.review else "attempt"
        return Activity(at=item.at, kata_id=item.kata_id, kind=kind, detail=detail)
    details = {
        "opened": "opened (starter written)",
        "hint": f"hint {(item.detail or 0) + 1} revealed",
        "solution": "solution revealed",
        "reset": "reset to the starter",
        "review": "review opened",
    }
    return Activity(at=item.at, kata_id=item.kata_id, kind=item.kind, detail=details[item.kind])


def build_report(
    catalog: Catalog,
    store: ProgressStore,
    workspace: Path,
    *,
    now: datetime,
    tz: tzinfo | None = None,
) -> ProgressDocument:
    """The report for every kata in ``catalog`` from what ``store`` recorded."""
    known = store.katas()
    attempts = store.attempts()
    events = store.events()
    entries: list[KataEntry] = []
    for kata in catalog:
        p = known.get(kata.id) or KataProgress(kata_id=kata.id, status="new")
        entries.append(
            KataEntry(
                id=kata.id,
                title=kata.title,
                topic=kata.topic,
                status=p.status,
                attempts=p.attempts,
                attempts_to_solve=p.attempts_to_solve,
                hints_used=p.hints_used,
                solution_revealed_before_solving=p.solution_revealed_before_solving,
                solved_at=p.solved_at,
                last_attempt_at=p.last_attempt_at,
                time_spent_seconds=p.time_spent,
                reviews=p.card.reviews if p.card else 0,
                last_rating=p.card.last_grade if p.card else None,
                next_review=p.next_review,
                review_due=p.card is not None and p.card.is_due(now),
            )
        )
    topics = [
        TopicEntry(
            topic=topic,
            katas=len(group),
            new=sum(e.status == "new" for e in group),
            attempted=sum(e.status == "attempted" for e in group),
            solved=sum(e.status == "solved" for e in group),
        )
        for topic in catalog.topics()
        for group in [[e for e in entries if e.topic == topic]]
    ]
    ids = {kata.id for kata in catalog}
    # a day counts when it holds an attempt: the untouched starter and re-gradings do not
    counted = [
        a
        for kata_id in {a.kata_id for a in attempts}
        for a in counted_attempts(
            [x for x in attempts if x.kata_id == kata_id],
            [e for e in events if e.kata_id == kata_id],
        )
    ]
    days = {a.at.astimezone(tz).date() for a in counted if not a.imported}
    everything: list[Attempt | Event] = [*attempts, *events]
    ours = [item for item in everything if item.kata_id in ids]
    recent = sorted(ours, key=lambda item: item.at, reverse=True)[:RECENT]
    totals = Totals(
        katas=len(entries),
        new=sum(e.status == "new" for e in entries),
        attempted=sum(e.status == "attempted" for e in entries),
        solved=sum(e.status == "solved" for e in entries),
        attempts=sum(e.attempts for e in entries),
        hints_used=sum(known[i].hints_used for i in ids if i in known),
        solutions_revealed=sum(known[i].solution_revealed for i in ids if i in known),
        time_spent_seconds=sum(e.time_spent_seconds for e in entries),
        reviews_due=sum(e.review_due for e in entries),
        streak_days=streak_days(days, now.astimezone(tz).date()),
    )
    return ProgressDocument(
        generated_at=now,
        workspace=str(workspace),
        totals=totals,
        topics=topics,
        katas=entries,
        recent=[_activity(item) for item in recent],
    )
