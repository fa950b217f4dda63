"""The status vocabulary: one glyph, label and tone per status, for every front end.

A verdict, a check, a learner's progress on a kata and a batch's per-kata grade each have a
status; this module is the only place that says how one looks. The CLI (rich), the TUI
(Textual theme variables), the batch feedback (markdown) and the HTML report (CSS) all read
:data:`VERDICT`, :data:`CHECK`, :data:`PROGRESS` and :data:`GRADE`, and differ only in how they
paint a :class:`Tone`, which each maps once (:data:`RICH_STYLE`, :data:`THEME_VARIABLE`,
:data:`CSS_COLOUR`).

Only the standard library and the verdict's enums are imported, so the TUI's process can use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType
from typing import Final

from trainer.grading.verdict import CheckStatus, Status

__all__ = [
    "CHECK",
    "CHECK_PENDING",
    "CHECK_RUNNING",
    "CSS_COLOUR",
    "GRADE",
    "NEEDS_DEVICE",
    "PROGRESS",
    "RICH_STYLE",
    "THEME_VARIABLE",
    "VERDICT",
    "Mark",
    "Tone",
    "stars",
]


class Tone(str, Enum):
    """What a status means to the reader; each front end paints it its own way."""

    SUCCESS = "success"
    ERROR = "error"
    WARNING = "warning"
    MUTED = "muted"
    ACCENT = "accent"


@dataclass(frozen=True)
class Mark:
    """How one status looks: its glyph, the words for it and its tone."""

    glyph: str
    label: str
    tone: Tone


def _frozen(table: dict[str, Mark]) -> Mapping[str, Mark]:
    return MappingProxyType(table)


VERDICT: Final[Mapping[str, Mark]] = _frozen(
    {
        Status.PASSED.value: Mark("✓", "passed", Tone.SUCCESS),
        Status.FAILED.value: Mark("✗", "failed", Tone.ERROR),
        Status.ERROR.value: Mark("!", "error", Tone.WARNING),
        Status.TIMEOUT.value: Mark("⏱", "timed out", Tone.WARNING),
        Status.CRASHED.value: Mark("☠", "crashed", Tone.ERROR),
        Status.UNAVAILABLE.value: Mark("⊘", "not verified here", Tone.MUTED),
    }
)
"""A grading's verdict, by :class:`~trainer.grading.verdict.Status` value."""

CHECK: Final[Mapping[str, Mark]] = _frozen(
    {
        CheckStatus.PASSED.value: Mark("✓", "passed", Tone.SUCCESS),
        CheckStatus.FAILED.value: Mark("✗", "failed", Tone.ERROR),
        CheckStatus.ERROR.value: Mark("!", "error", Tone.WARNING),
        CheckStatus.TIMEOUT.value: Mark("⏱", "timed out", Tone.WARNING),
        CheckStatus.SKIPPED.value: Mark("⊘", "not verifiable here", Tone.MUTED),
        CheckStatus.NOT_RUN.value: Mark("·", "not run", Tone.MUTED),
    }
)
"""One check's outcome, by :class:`~trainer.grading.verdict.CheckStatus` value."""

CHECK_PENDING: Final = Mark("·", "pending", Tone.MUTED)
"""A check of a grading not started yet (the TUI's list before the first verdict)."""
CHECK_RUNNING: Final = Mark("◌", "running", Tone.ACCENT)
"""A check of the grading in flight."""

PROGRESS: Final[Mapping[str, Mark]] = _frozen(
    {
        "new": Mark("•", "new", Tone.MUTED),
        "attempted": Mark("✗", "attempted", Tone.ERROR),
        "solved": Mark("✓", "solved", Tone.SUCCESS),
    }
)
"""A learner's standing on a kata (:data:`trainer.learner.history.ProgressStatus`)."""

NEEDS_DEVICE: Final = Mark("⚠", "needs", Tone.WARNING)
"""A kata this machine cannot grade (GPU-only, no GPU): shown as ``⚠ needs cuda``."""

GRADE: Final[Mapping[str, Mark]] = _frozen(
    {
        **VERDICT,
        "missing": Mark("–", "missing", Tone.MUTED),
        "not-attempted": Mark("○", "not attempted", Tone.MUTED),
        "rejected": Mark("⊗", "rejected", Tone.ERROR),
    }
)
"""A kata's grade in a batch (:class:`trainer.batch.model.GradeStatus`): a verdict's marks,
plus no file for the kata, the starter handed in untouched, and an archive that could not be
graded."""

RICH_STYLE: Final[Mapping[Tone, str]] = MappingProxyType(
    {
        Tone.SUCCESS: "green",
        Tone.ERROR: "red",
        Tone.WARNING: "yellow",
        Tone.MUTED: "dim",
        Tone.ACCENT: "cyan",
    }
)
"""A tone as a rich style, for the command line."""

THEME_VARIABLE: Final[Mapping[Tone, str]] = MappingProxyType(
    {
        Tone.SUCCESS: "success",
        Tone.ERROR: "error",
        Tone.WARNING: "warning",
        Tone.MUTED: "foreground-muted",
        Tone.ACCENT: "accent",
    }
)
"""A tone as a Textual theme variable, so the TUI follows light and dark themes."""

CSS_COLOUR: Final[Mapping[Tone, str]] = MappingProxyType(
    {
        Tone.SUCCESS: "#1a7f37",
        Tone.ERROR: "#c62828",
        Tone.WARNING: "#9a6700",
        Tone.MUTED: "#666666",
        Tone.ACCENT: "#0969da",
    }
)
"""A tone as a CSS colour, for the HTML report (readable on its white page)."""


def stars(difficulty: int) -> str:
    """A kata's difficulty (1-5) as five stars."""
    return "★" * difficulty + "☆" * (5 - difficulty)
