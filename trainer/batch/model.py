"""What a graded batch is, as typed objects: the schema of ``results.json``, and the scoring rules.

Scoring is all-or-nothing per kata by default: a kata earns its points only when its verdict is
``passed`` (every check ran and passed, the hidden ones included), else 0. Every other status
(``failed``, ``error``, ``timeout``, ``crashed``, ``unavailable``, and the batch's own
``missing``, ``not-attempted`` and ``rejected``) scores 0, and the feedback says why. A file
byte-identical to the starter is ``not-attempted`` rather than ``failed``: it is not graded, so
it neither looks like a real wrong attempt nor counts among the checks failed most often.

``scoring: per-check`` (opt-in, in ``assignment.yaml``) gives a kata's points in proportion to
the weight of its checks that passed (``weights``, default 1 each). Why it is not the default:
each kata is one mistake, caught by one or two checks, so its starter passes most checks by
design. An untouched starter is ``not-attempted`` and scores 0, but one changed line would
earn most of the points for the mistake the kata is about.

Lateness (``late`` in ``assignment.yaml``) scales a learner's total by ``1 - penalty``; the time
received is the instructor's (a receipts file, else the archive's modification time), never the
learner's. A learner past the last day accepted keeps their verdicts and scores 0.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from trainer.grading.verdict import CheckStatus, Status, Verdict

__all__ = [
    "FORMAT",
    "SCORING",
    "AssignmentInfo",
    "BatchResults",
    "GradeStatus",
    "KataColumn",
    "KataResult",
    "LatePolicyInfo",
    "LearnerResult",
    "Received",
    "Scoring",
    "ShardInfo",
    "learner_order",
    "score",
]

FORMAT = 1
"""Version of ``results.json``; :mod:`trainer.batch.merge` and the report refuse newer ones."""

Scoring = Literal["all-or-nothing", "per-check"]
SCORING: Scoring = "all-or-nothing"
"""The default scoring rule; the one used is recorded in every ``results.json``."""


class GradeStatus(str, Enum):
    """A kata's outcome for one learner: a verdict status, or why nothing was graded."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    TIMEOUT = "timeout"
    CRASHED = "crashed"
    UNAVAILABLE = "unavailable"
    MISSING = "missing"
    """The archive holds no file for this kata."""
    NOT_ATTEMPTED = "not-attempted"
    """The file is the kata's starter, byte for byte: handed in untouched, so not graded."""
    REJECTED = "rejected"
    """The archive as a whole cannot be graded (malformed, or for another assignment)."""

    @classmethod
    def of(cls, status: Status) -> GradeStatus:
        return cls(status.value)


def learner_order(learner: str) -> tuple[str, str]:
    """How rows are sorted everywhere: case-insensitively, ties broken by the exact id."""
    return (learner.casefold(), learner)


def score(
    status: GradeStatus,
    points: float,
    verdict: Verdict | None = None,
    scoring: Scoring = SCORING,
    weights: Mapping[str, float] | None = None,
) -> float:
    """The kata's points for a pass, 0 for anything else; with ``per-check``, the share of the
    checks' weight that passed (see the module). A check's weight is looked up by its id, then
    by its function name (a parametrized check's cases share it)."""
    if status is GradeStatus.PASSED:
        return points
    if scoring != "per-check" or verdict is None or not verdict.checks:
        return 0.0
    table = weights or {}

    def weight(check_id: str) -> float:
        return table.get(check_id, table.get(check_id.split("[", 1)[0], 1.0))

    total = sum(weight(c.id) for c in verdict.checks)
    passed = sum(weight(c.id) for c in verdict.checks if c.status is CheckStatus.PASSED)
    return round(points * passed / total, 6) if total > 0 else 0.0


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class KataColumn(_Frozen):
    """One kata of the assignment as the gradebook sees it."""

    id: str
    title: str
    points: float
    fingerprint: str
    """sha256 of what grades it (checks, kata.yaml, helpers): shards must agree on it."""


class LatePolicyInfo(_Frozen):
    """The due date and late policy applied (see ``trainer.batch.lateness``): set whenever the
    assignment has a due date; without a ``late`` block, lateness is recorded at no cost."""

    due: datetime
    grace_seconds: float = 0.0
    penalty_per_day: float = 0.0
    last_day: datetime | None = None


class AssignmentInfo(_Frozen):
    id: str
    title: str
    katas: tuple[KataColumn, ...]
    due: datetime | None = None
    late: LatePolicyInfo | None = None
    scoring: Scoring = SCORING
    weights: dict[str, dict[str, float]] = Field(default_factory=dict)

    @property
    def total_points(self) -> float:
        return sum(k.points for k in self.katas)

    @property
    def fingerprint(self) -> str:
        """Equal for two batches graded against the same katas, checks and points."""
        text = "\n".join(f"{k.id} {k.points!r} {k.fingerprint}" for k in self.katas)
        rules = f"{self.scoring} {sorted((k, sorted(w.items())) for k, w in self.weights.items())}"
        late = self.late.model_dump_json() if self.late else ""
        due = self.due.isoformat() if self.due else ""
        return hashlib.sha256(f"{self.id}\n{text}\n{rules}\n{due}\n{late}".encode()).hexdigest()


class ShardInfo(_Frozen):
    index: int = Field(ge=1)
    count: int = Field(ge=1)

    @property
    def label(self) -> str:
        return f"{self.index}/{self.count}"


class Isolation(_Frozen):
    """What kept one learner's code from reading others' files in this batch, as probed."""

    read_isolated: bool
    layers: tuple[str, ...] = ()
    allowed_unisolated: bool = False
    """The instructor passed ``--allow-unisolated``: graded although nothing isolated reads."""

    @staticmethod
    def combine(parts: list[Isolation | None]) -> Isolation | None:
        known = [p for p in parts if p is not None]
        if not known:
            return None
        shared = set(known[0].layers).intersection(*(p.layers for p in known[1:]))
        return Isolation(
            read_isolated=all(p.read_isolated for p in known),
            layers=tuple(layer for layer in known[0].layers if layer in shared),
            allowed_unisolated=any(p.allowed_unisolated for p in known),
        )


class KataResult(_Frozen):
    """One learner's result on one kata, with the full verdict when there was a grading."""

    kata_id: str
    status: GradeStatus
    points: float
    max_points: float
    summary: str
    file_sha256: str | None = None
    """sha256 of the graded file, computed here (the manifest's hash is never trusted)."""
    claimed: str | None = None
    """The status the learner's own manifest reported: information only, never scored."""
    verdict: Verdict | None = None


class Received(_Frozen):
    """When the instructor received a learner's archive, and what that cost."""

    at: datetime
    source: Literal["receipts", "mtime"]
    """A receipts file (an LMS's download record), or the archive's modification time."""
    late_seconds: float = 0.0
    """After the due date (0 when on time); the grace is not subtracted."""
    days: int = 0
    """Days late counted for the penalty: after the grace, a started day whole."""
    penalty: float = 0.0
    """The fraction of the total taken off (1.0 past the last day accepted)."""
    refused: bool = False
    """Received after the last day accepted."""


class LearnerResult(_Frozen):
    """One gradebook row: a learner (or an unreadable archive) and its results per kata."""

    learner: str
    """Unique in the batch: the manifest's learner, else the archive's file name."""
    claimed: str | None = None
    """The learner name the manifest gave, when it differs from ``learner`` or is unusable."""
    archive: str
    archive_sha256: str
    problems: tuple[str, ...] = ()
    katas: tuple[KataResult, ...]
    feedback: str
    """The feedback file, relative to the batch folder (``feedback/<name>.md``)."""
    received: Received | None = None
    """Set where the assignment has a due date."""

    @property
    def points(self) -> float:
        """The katas' points before any late penalty."""
        return sum(k.points for k in self.katas)

    @property
    def total(self) -> float:
        """What the learner scores: the katas' points, less the late penalty."""
        penalty = self.received.penalty if self.received is not None else 0.0
        return round(self.points * (1.0 - penalty), 6)


class BatchResults(_Frozen):
    """``results.json``: every learner, every verdict, and what it was graded against."""

    format: int = FORMAT
    scoring: Scoring = SCORING
    assignment: AssignmentInfo
    device: str
    shard: ShardInfo | None = None
    roster: tuple[str, ...] = ()
    """Every learner id of the whole batch (all shards), so a merge can prove it is complete."""
    isolation: Isolation | None = None
    """How learner code was confined here (None in results written before it was recorded)."""
    received_from: str | None = None
    """Where the times received came from, said in the report: ``receipts FILE`` or
    ``archive modification times`` (None without a due date)."""
    learners: tuple[LearnerResult, ...]
