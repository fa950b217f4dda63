"""The verdict: what one grading run found, as a typed object that serialises to JSON.

Statuses are fail-closed: ``passed`` is only ever the result of positive evidence (every
expected check reported a pass), and every other way a run can end maps to a distinct status.
"""

from __future__ import annotations

from datetime import datetime, timezone
from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Status(str, Enum):
    """How a grading run ended, from the learner's point of view."""

    PASSED = "passed"
    """At least one check ran and every check passed on the requested device."""
    FAILED = "failed"
    """The file imported and at least one check failed."""
    ERROR = "error"
    """The file does not import, or the checks could not run."""
    TIMEOUT = "timeout"
    """The run outlived its time limit and was killed."""
    CRASHED = "crashed"
    """The process died, exited early or never reported every check."""
    UNAVAILABLE = "unavailable"
    """The kata needs a device this machine lacks: not verified here, never a pass."""


class CheckStatus(str, Enum):
    """The outcome of one hidden check."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"
    TIMEOUT = "timeout"
    NOT_RUN = "not_run"


class CheckResult(BaseModel):
    """One hidden check as the learner sees it: its name and message, never its code."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    status: CheckStatus
    message: str = ""
    duration: float = 0.0


class StackFrame(BaseModel):
    """One frame of the learner's own file where a timed-out run was stopped."""

    model_config = ConfigDict(frozen=True)

    file: str
    """The learner's file's name (never a folder of the grading's)."""
    line: int
    function: str
    code: str = ""
    """That line of the learner's file, stripped; empty where the file no longer has it."""


class Environment(BaseModel):
    """Where the grading ran, so a verdict can be reproduced or questioned later."""

    model_config = ConfigDict(frozen=True)

    trainer: str
    python: str
    platform: str
    torch: str | None = None
    cuda: str | None = None
    gpu: str | None = None
    sandbox: tuple[str, ...] = ()
    """The protections that held around the learner's code (limits, namespaces, Landlock)."""
    sandbox_missing: tuple[str, ...] = ()
    """The protections this platform could not give (a verdict says what it was graded without)."""


class Verdict(BaseModel):
    """The result of grading one learner file against one kata's hidden checks."""

    model_config = ConfigDict(frozen=True)

    kata_id: str
    status: Status
    summary: str
    checks: tuple[CheckResult, ...] = ()
    output: str = ""
    output_truncated: bool = False
    duration: float = 0.0
    device: str
    file: str
    environment: Environment
    clock: Literal["cpu", "wall"] | None = None
    """For a timeout: whether the CPU budget ran out, or the wall-clock backstop."""
    stopped_at: tuple[StackFrame, ...] = ()
    """For a timeout: the innermost frames of the learner's file where its code was when it
    was stopped, outermost first, as the learner process reported them (its word: information,
    never evidence; empty when it reported none). The summary shows them too."""
    phases: dict[str, float] = Field(default_factory=dict)
    """Where a grading's time went (seconds; ``requests`` counts round trips), as the judge
    measured it: for ``benchmarks/grading_latency.py``, never shown to the learner."""
    graded_at: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))

    @property
    def passed(self) -> bool:
        return self.status is Status.PASSED

    @property
    def passed_count(self) -> int:
        return sum(check.status is CheckStatus.PASSED for check in self.checks)

    def to_json(self, *, indent: int | None = 2) -> str:
        return self.model_dump_json(indent=indent)

    @classmethod
    def from_json(cls, text: str | bytes) -> Verdict:
        return cls.model_validate_json(text)
