"""When each archive was received, and what lateness costs: never from the learner's clock.

A learner's manifest says when ``katas submit`` ran, on a clock the learner controls. The
instructor's side knows better: an LMS records when each file arrived (a receipts CSV), and
failing that the archive's modification time is when it reached this disk (a download or copy
resets it; the report says which source was used, so an instructor can judge).

The receipts file is CSV with a header row: ``archive`` (the archive's file name) or
``learner`` (the learner's id in the gradebook), and ``received`` (ISO 8601 with a zone, e.g.
``2025-03-15T09:30:00+01:00`` or ``...Z``). An archive without a row falls back to its
modification time, and its gradebook row says so.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Literal

from trainer.batch.model import LatePolicyInfo, Received
from trainer.errors import PlanError

__all__ = ["Receipts", "Source", "assess", "read_receipts", "received_at"]

Source = Literal["receipts", "mtime"]


@dataclass(frozen=True)
class Receipts:
    """Times received, by archive file name and by learner id, and the file they came from."""

    path: Path
    by_archive: Mapping[str, datetime]
    by_learner: Mapping[str, datetime]

    def find(self, archive: str, learner: str) -> datetime | None:
        return self.by_archive.get(archive, self.by_learner.get(learner))


def _moment(text: str, where: str) -> datetime:
    value = text.strip()
    try:
        moment = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
    except ValueError:
        example = "2025-03-15T09:30:00+01:00"
        raise PlanError(f"{where}: {text!r} is not a time such as {example}") from None
    if moment.tzinfo is None:
        raise PlanError(f"{where}: {text!r} has no time zone (add +01:00, or Z for UTC)")
    return moment


def read_receipts(path: Path) -> Receipts:
    """Read a receipts CSV (see the module); a problem is a :class:`PlanError` naming the row."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise PlanError(f"{path}: cannot read the receipts ({exc.strerror or exc})") from None
    reader = csv.DictReader(text.splitlines())
    fields = {f.strip().lower() for f in reader.fieldnames or ()}
    if "received" not in fields or not fields & {"archive", "learner"}:
        raise PlanError(
            f"{path}: a receipts file needs a header row with 'received' and 'archive' or "
            f"'learner' (found: {', '.join(sorted(fields)) or 'nothing'})"
        )
    by_archive: dict[str, datetime] = {}
    by_learner: dict[str, datetime] = {}
    for number, row in enumerate(reader, start=2):
        cells = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        if not any(cells.values()):
            continue
        when = _moment(cells.get("received", ""), f"{path}, line {number}")
        if cells.get("archive"):
            by_archive[Path(cells["archive"]).name] = when
        if cells.get("learner"):
            by_learner[cells["learner"]] = when
    return Receipts(path, by_archive, by_learner)


def assess(policy: LatePolicyInfo, received: datetime, source: Source) -> Received:
    """How late ``received`` is against the policy's due date, and the penalty it costs."""
    late = received - policy.due
    grace = timedelta(seconds=policy.grace_seconds)
    seconds = max(0.0, late.total_seconds())
    if late <= grace:
        return Received(at=received, source=source, late_seconds=seconds)
    days = -(-(late - grace) // timedelta(days=1))  # a started day counts whole
    if policy.last_day is not None and received > policy.last_day:
        return Received(
            at=received, source=source, late_seconds=seconds, days=days, penalty=1.0, refused=True
        )
    penalty = min(1.0, days * policy.penalty_per_day / 100)
    return Received(at=received, source=source, late_seconds=seconds, days=days, penalty=penalty)


def received_at(archive: Path, learner: str, receipts: Receipts | None) -> tuple[datetime, Source]:
    """When the archive was received, and the source: the receipts, else its mtime."""
    if receipts is not None:
        found = receipts.find(archive.name, learner)
        if found is not None:
            return found, "receipts"
    mtime = archive.stat().st_mtime
    return datetime.fromtimestamp(mtime, tz=timezone.utc), "mtime"
