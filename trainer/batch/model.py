"""What a graded batch is, as typed objects: the schema of ``results.json``, and the scoring rule.

Scoring is all-or-nothing per kata: a kata earns its points only when its verdict is ``passed``
(every hidden check ran and passed), else 0. Partial credit per check would reward handing in
the starter unchanged, since a kata's starter passes most of its checks by design (each kata is
one mistake, caught by one or two checks). Every other status (``failed``, ``error``,
``timeout``, ``crashed``, ``unavailable``, and the batch's own ``missing``, ``not-attempted``
and ``rejected``) scores 0, and the feedback says why. A file byte-identical to the starter is
``not-attempted`` rather than ``failed``: it is not graded, so it neither looks like a real wrong
attempt nor counts among the checks failed most often.
"""

from __future__ import annotations

import hashlib
from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from trainer.grading.verdict import Status, Verdict

__all__ = [
    "FORMAT",
    "SCORING",
    "AssignmentInfo",
    "BatchResults",
    "GradeStatus",
    "KataColumn",
    "KataResult",
    "LearnerResult",
    "ShardInfo",
    "learner_order",
    "score",
]

FORMAT = 1
"""Version of ``results.json``; :mod:`trainer.batch.merge` and the report refuse newer ones."""

SCORING: Literal["all-or-nothing"] = "all-or-nothing"
"""The one scoring rule, recorded in every ``results.json`` so a reader never has to guess."""


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


def score(status: GradeStatus, points: float) -> float:
    """All-or-nothing: the kata's points for a pass, 0 for anything else (see the module)."""
    return points if status is GradeStatus.PASSED else 0.0


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class KataColumn(_Frozen):
    """One kata of the assignment as the gradebook sees it."""

    id: str
    title: str
    points: float
    fingerprint: str
    """sha256 of what grades it (checks, kata.yaml, helpers): shards must agree on it."""


class AssignmentInfo(_Frozen):
    id: str
    title: str
    katas: tuple[KataColumn, ...]

    @property
    def total_points(self) -> float:
        return sum(k.points for k in self.katas)

    @property
    def fingerprint(self) -> str:
        """Equal for two batches graded against the same katas, checks and points."""
        text = "\n".join(f"{k.id} {k.points!r} {k.fingerprint}" for k in self.katas)
        return hashlib.sha256(f"{self.id}\n{text}".encode()).hexdigest()


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

    @property
    def total(self) -> float:
        return sum(k.points for k in self.katas)


class BatchResults(_Frozen):
    """``results.json``: every learner, every verdict, and what it was graded against."""

    format: int = FORMAT
    scoring: Literal["all-or-nothing"] = SCORING
    assignment: AssignmentInfo
    device: str
    shard: ShardInfo | None = None
    roster: tuple[str, ...] = ()
    """Every learner id of the whole batch (all shards), so a merge can prove it is complete."""
    isolation: Isolation | None = None
    """How learner code was confined here (None in results written before it was recorded)."""
    learners: tuple[LearnerResult, ...]
