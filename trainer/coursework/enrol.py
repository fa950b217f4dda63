"""Enrolment: ``katas init --assignment`` makes a folder a learner's workspace for one
assignment."""

from __future__ import annotations

import getpass
from pathlib import Path

from trainer.coursework.assignment import WorkspaceAssignment, clean_learner_name, load_assignment
from trainer.errors import UsageError
from trainer.learner.history import Clock, utc_now
from trainer.learner.workspace import META_FILE, Workspace

__all__ = ["init_assignment"]


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name (some containers)
        return "learner"


def init_assignment(
    root: Path, assignment_file: Path, learner: str | None, clock: Clock = utc_now
) -> tuple[Workspace, WorkspaceAssignment, bool]:
    """Make ``root`` the learner's workspace for ``assignment_file``; return it and whether
    an earlier copy of the same assignment was updated.

    Refuses a folder that is a workspace for another assignment, or one with self-study
    progress: an assignment's hints, attempts and lateness must be its own.
    """
    loaded = load_assignment(assignment_file)
    if learner is not None:
        learner = _clean(learner)  # before anything is written
    existed = (root / ".katas" / META_FILE).is_file()
    workspace = Workspace.init(root).with_clock(clock)
    earlier = workspace.assignment if existed else None
    if earlier is not None and earlier.record.assignment_id != loaded.id:
        raise UsageError(
            f"{workspace.root} is the workspace for assignment {earlier.record.assignment_id!r}; "
            f"make the one for {loaded.id!r} in a new folder"
        )
    if earlier is None and existed and workspace.progress.katas():
        raise UsageError(
            f"{workspace.root} is a workspace with your own progress in it; make the one for "
            f"assignment {loaded.id!r} in a new folder"
        )
    name = learner or (earlier.learner if earlier is not None else None) or _os_user()
    try:
        attached = workspace.attach_assignment(loaded, name)
    except ValueError as exc:  # a learner name that cannot be used
        raise UsageError(str(exc)) from None
    return workspace, attached, earlier is not None


def _clean(name: str) -> str:
    """The name as it goes into a manifest, or a usage error saying what is wrong with it."""
    try:
        return clean_learner_name(name)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
