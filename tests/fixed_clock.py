"""A clock that moves only when a test says so, for the progress store and the CLI."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

NOON = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)


class FixedClock:
    """Callable like ``datetime.now(timezone.utc)``; ``advance`` moves it on."""

    def __init__(self, now: datetime = NOON) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
