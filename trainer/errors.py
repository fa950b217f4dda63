"""The trainer's one exception family. Front ends catch :class:`KatasError` once.

Every error the trainer raises on purpose derives from :class:`KatasError`, so a front end
needs one ``except`` clause, not a translation per module (the model is httpx's
``_exceptions.py``). :class:`UsageError` and its subclasses are problems the user can fix:
the CLI prints them as one ``error:`` line with exit code 2 and the TUI shows them as a
notification. :class:`GradingError` and its subclasses stay inside grading: they decide how a
grading ends and never reach the user as a message of their own.

```
KatasError
├── UsageError                  the user can fix it: one line, exit code 2
│   ├── UnknownKataError        no kata has that id (also a KeyError)
│   │   └── KataNotLoadedError  the id is a kata folder's that failed to load
│   ├── KataLoadError           a kata or pack does not load (carries each problem)
│   ├── WorkspaceError          the workspace folder cannot be used
│   ├── ProgressError           the progress store cannot be used
│   ├── AssignmentError         an assignment.yaml is wrong, or not loadable
│   ├── SubmissionError         a submission cannot be written
│   ├── ScaffoldError           ``katas new`` cannot scaffold that kata
│   ├── HandoutError            ``katas handout`` cannot write a learner's copy
│   └── BatchError              ``katas grade`` / ``katas report`` cannot go on
│       ├── PlanError           the archives or the options do not make a batch
│       ├── JournalError        the batch's journal belongs to another batch, or is damaged
│       ├── BatchBusy           another ``katas grade`` is writing the same folder
│       ├── MergeError          shards that do not merge into one gradebook
│       ├── ResultsError        a results.json that cannot be read
│       ├── NotIsolated         no read isolation here, and grading without it was not allowed
│       └── RosterError         ``katas lms-export``: an LMS roster that cannot be read or used
└── GradingError                internal to grading, never shown as such
    ├── GradingCancelled        a newer grading superseded this one
    ├── WorkerLost              a warm worker died or stopped answering
    ├── LearnerImportError      the learner's file failed to import (inside a grading child)
    ├── LearnerGone             the learner process ended, or stopped making sense
    ├── LearnerRaised           the learner's code raised (also the builtin class it raised)
    └── WireError               a value that cannot travel, or bytes that are not a message
```

This module imports nothing, so any process (the TUI's, a grading child) can use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from trainer.kata.loader import LoadProblem

__all__ = [
    "AssignmentError",
    "BatchBusy",
    "BatchError",
    "GradingCancelled",
    "GradingError",
    "HandoutError",
    "JournalError",
    "KataLoadError",
    "KataNotLoadedError",
    "KatasError",
    "LearnerGone",
    "LearnerImportError",
    "LearnerRaised",
    "MergeError",
    "NotIsolated",
    "PlanError",
    "ProgressError",
    "ResultsError",
    "RosterError",
    "ScaffoldError",
    "SubmissionError",
    "UnknownKataError",
    "UsageError",
    "WireError",
    "WorkerLost",
    "WorkspaceError",
]


class KatasError(Exception):
    """Base of every error the trainer raises on purpose."""


class UsageError(KatasError):
    """A problem the user can fix; said in one line (exit code 2 on the command line)."""


class UnknownKataError(UsageError, KeyError):
    """No kata has this id; the message suggests the closest ones (for ``katas show ID``)."""

    def __init__(self, kata_id: str, suggestions: Sequence[str] = ()) -> None:
        super().__init__(kata_id)
        self.kata_id = kata_id
        self.suggestions = tuple(suggestions)

    def __str__(self) -> str:
        message = f"no kata with id {self.kata_id!r}"
        if self.suggestions:
            message += "; did you mean " + " or ".join(repr(s) for s in self.suggestions) + "?"
        return message


class KataNotLoadedError(UnknownKataError):
    """The id is unknown because its kata failed to load: "no kata with that id" would send
    the learner looking for a typo, so the message names the pack and the first problem."""

    def __init__(
        self, kata_id: str, pack: str, kata_dir: Path, problems: Sequence[LoadProblem]
    ) -> None:
        super().__init__(kata_id)
        self.pack = pack
        self.kata_dir = kata_dir
        self.problems: list[LoadProblem] = list(problems)

    def __str__(self) -> str:
        message = f"{self.kata_id} is in pack {self.pack}, but it did not load: {self.problems[0]}"
        more = len(self.problems) - 1
        if more:
            problems = "problem" if more == 1 else "problems"
            message += f" (and {more} more {problems}: `katas validate {self.kata_dir}` lists them)"
        return message


class _Problems(UsageError):
    """An error made of file:line:field problems, one line each."""

    def __init__(self, problems: Sequence[LoadProblem]) -> None:
        self.problems: list[LoadProblem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class KataLoadError(_Problems):
    """A kata (or a pack manifest) could not be loaded; ``problems`` lists every reason."""


class WorkspaceError(UsageError):
    """The workspace cannot be used (not a folder, not writable, a damaged state file)."""


class ProgressError(UsageError):
    """The progress store cannot be used (written by a newer trainer, not writable)."""


class AssignmentError(_Problems):
    """An assignment cannot be used; ``problems`` say where (file, line, field) and why."""


class SubmissionError(UsageError):
    """A submission archive cannot be written."""


class ScaffoldError(UsageError):
    """``katas new`` cannot scaffold the kata asked for (a bad or taken id, a folder in use)."""


class HandoutError(UsageError):
    """``katas handout`` cannot write a learner's copy (a bad source, a used folder, a leak)."""


class BatchError(UsageError):
    """A batch grading or report cannot go on; the instructor can fix the command."""


class PlanError(BatchError):
    """The assignment, the archives or the options do not make a batch."""


class JournalError(BatchError):
    """The batch folder's journal is for another batch, or cannot be read or written."""


class BatchBusy(BatchError):
    """Another ``katas grade`` holds the batch folder's lock."""


class MergeError(BatchError):
    """The shard folders do not merge into one gradebook."""


class ResultsError(BatchError):
    """A ``results.json`` is missing, damaged or from a newer trainer."""


class RosterError(BatchError):
    """An LMS roster that cannot be read, is not the export of the LMS named, or has no column
    the grades can go in; the instructor can fix the file or the options."""


class GradingError(KatasError):
    """Internal to grading: decides how a grading ends, never a user-facing message."""


class GradingCancelled(GradingError):
    """A newer grading superseded this one (the TUI's newest save wins)."""


class WorkerLost(GradingError):
    """The warm worker died or stopped answering; the grader restarts it or grades cold."""


class LearnerImportError(GradingError):
    """The learner's file failed to import; the message is what the learner reads, the same
    for every check."""

    def __init__(self, message: str, cause: BaseException | None = None) -> None:
        super().__init__(message)
        self.cause = cause


class NotIsolated(BatchError):
    """Learner code could read other files here (no mount namespace, no Landlock).

    ``katas grade`` refuses, since a submission could then read the solution or another
    learner's files; the instructor may grade anyway with ``--allow-unisolated``.
    """


class LearnerGone(GradingError):
    """The learner process ended (exited, crashed, was killed) or sent what is not a message.

    Raised in the judge by whatever check was talking to it; the check fails with this reason
    and the grading ends, never as a pass.
    """


class LearnerRaised(GradingError):
    """An exception the learner's code raised in the learner process, re-raised in the judge.

    The judge raises a subclass that also derives from the builtin class the learner's exception
    derives from (``ValueError``, ``KeyError`` …), so a check's ``except KeyError`` still works;
    ``SystemExit`` and ``KeyboardInterrupt`` become this class alone, so they end nothing here.
    ``remote_type`` is the learner-side class (``module.QualName``), ``frames`` the lines of the
    learner's file it passed through (line number, source), innermost last.
    """

    def __init__(
        self,
        message: str,
        remote_type: str = "",
        frames: Sequence[tuple[int, str]] = (),
        details: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.remote_type = remote_type
        self.frames = tuple(frames)
        self.details = details or {}

    @property
    def short_type(self) -> str:
        return self.remote_type.rpartition(".")[2] or "Exception"


class WireError(GradingError, ValueError):
    """A value that cannot travel between the judge and the learner process (not plain data,
    too large, too deep), or bytes that are not a message: said in a sentence."""
