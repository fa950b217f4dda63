"""``gradebook.csv``: one row a learner, one column a kata, then the total.

Kept to what LMS gradebook imports (Canvas, Moodle, Blackboard, a spreadsheet) all accept: a
header row, an identifier column named ``learner``, plain numbers, UTF-8 with ``\\r\\n`` line
ends as the CSV RFC says. A learner id from an archive that starts like a spreadsheet formula
(``=``, ``+``, ``-``, ``@``) is prefixed with ``'`` so opening the file never runs it.

An assignment with a due date adds ``received`` (when the instructor received the archive, UTC),
``late_days`` (days counted late after the grace) and ``penalty_percent`` before ``total``,
which is the score after the penalty; the katas' columns are before it.

A batch graded without read isolation (``--allow-unisolated``) gets a last column saying so on
every row, so the caveat travels with the grades into whatever imports them.
"""

from __future__ import annotations

import csv
import io
from datetime import timezone

from trainer.batch.model import BatchResults, learner_order

__all__ = ["gradebook_csv", "number_text", "safe_cell"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    """``text`` that no spreadsheet runs as a formula (shared with the LMS exports)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def number_text(value: float) -> str:
    """A score as a plain number: ``3``, ``1.5``, never ``3.0``."""
    return f"{round(value, 6):g}"


def gradebook_csv(results: BatchResults) -> str:
    """The gradebook as CSV text, learners in id order, katas in the assignment's order."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    katas = [k.id for k in results.assignment.katas]
    unisolated = results.isolation is not None and not results.isolation.read_isolated
    late = results.assignment.late is not None
    late_head = ["received", "late_days", "penalty_percent"] if late else []
    writer.writerow(
        ["learner", *katas, *late_head, "total", *(["read_isolation"] if unisolated else [])]
    )
    for learner in sorted(results.learners, key=lambda r: learner_order(r.learner)):
        points = {k.kata_id: k.points for k in learner.katas}
        got = learner.received
        late_cells = []
        if late:
            late_cells = (
                [
                    got.at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    str(got.days),
                    number_text(got.penalty * 100),
                ]
                if got is not None
                else ["", "", ""]
            )
        writer.writerow(
            [
                safe_cell(learner.learner),
                *(number_text(points.get(k, 0.0)) for k in katas),
                *late_cells,
                number_text(learner.total),
                *(["none"] if unisolated else []),
            ]
        )
    return buffer.getvalue()
