"""``katas export``: the attempt history, for a learner's own analysis or an instructor.

One row per graded attempt, oldest first, with the columns of :class:`AttemptRow` (CSV header in
that order). JSON is ``{"version": 1, "exported_at": ..., "workspace": ..., "attempts": [...]}``
with one object per row. Times are UTC, ISO 8601. ``topic`` is empty for a kata no longer in the
catalog.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from trainer.kata.catalog import Catalog
from trainer.learner.progress import Attempt

__all__ = ["EXPORT_VERSION", "AttemptRow", "ExportDocument", "Format", "export_attempts"]

EXPORT_VERSION = 1
Format = Literal["csv", "json"]


class AttemptRow(BaseModel):
    """One graded attempt as exported."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: int
    kata_id: str
    topic: str
    at: datetime
    status: str
    checks_passed: int
    checks_total: int
    duration_seconds: float
    device: str
    code_sha256: str | None
    review: bool
    """Graded a review file (``katas review``), not the kata file."""
    starter: bool
    """The graded code was the untouched starter."""
    imported: bool
    """Reconstructed from the old ``state.json``."""


class ExportDocument(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = EXPORT_VERSION
    exported_at: datetime
    workspace: str
    attempts: list[AttemptRow]


def rows(attempts: Sequence[Attempt], catalog: Catalog) -> list[AttemptRow]:
    topics = {kata.id: kata.topic for kata in catalog}
    return [
        AttemptRow(
            id=a.id,
            kata_id=a.kata_id,
            topic=topics.get(a.kata_id, ""),
            at=a.at,
            status=a.status.value,
            checks_passed=a.checks_passed,
            checks_total=a.checks_total,
            duration_seconds=round(a.duration, 3),
            device=a.device,
            code_sha256=a.code_sha256,
            review=a.review,
            starter=a.starter,
            imported=a.imported,
        )
        for a in attempts
    ]


def export_attempts(
    attempts: Sequence[Attempt],
    catalog: Catalog,
    fmt: Format,
    *,
    workspace: str,
    now: datetime,
) -> str:
    """The history as CSV or JSON text."""
    table = rows(attempts, catalog)
    if fmt == "json":
        doc = ExportDocument(exported_at=now, workspace=workspace, attempts=table)
        return doc.model_dump_json(indent=2) + "\n"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(AttemptRow.model_fields)
    for row in table:
        data = row.model_dump(mode="json")
        writer.writerow(
            "" if value is None else str(value).lower() if isinstance(value, bool) else value
            for value in data.values()
        )
    return buffer.getvalue()
