"""The learner's and the author's side of coursework on the command line.

``katas init --assignment``, ``katas submit`` and ``katas new``, plus what ``list``, ``show``
and ``check`` add in a workspace made from an assignment (the header with the due date, the
points, the late mark). ``trainer.cli`` parses the arguments and calls these; the rules
themselves live in :mod:`trainer.assignment` so the TUI applies the same ones.
"""

from __future__ import annotations

import getpass
import hashlib
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from trainer.assignment import (
    AssignmentError,
    LoadedAssignment,
    Rules,
    WorkspaceAssignment,
    clean_learner_name,
    format_points,
    load_assignment,
)
from trainer.catalog import Catalog
from trainer.history import Clock, KataProgress, Recorded, utc_now
from trainer.model import Kata
from trainer.scaffold import ScaffoldError, scaffold_kata
from trainer.submission import SubmissionError, write_submission
from trainer.workspace import META_FILE, Workspace

__all__ = [
    "CourseworkError",
    "assignment_header",
    "init_assignment",
    "late_note",
    "new_kata",
    "show_rules",
    "solved_late",
    "submit",
]


class CourseworkError(Exception):
    """A problem the user can fix (printed as one line by the CLI, exit code 2)."""


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name (some containers)
        return "learner"


def _rules_line(rules: Rules) -> str:
    parts = [rules.due_text() or "no due date"]
    parts.append("hints on" if rules.hints_allowed else "hints off")
    parts.append("solutions on" if rules.solutions_allowed else "solutions off")
    return " · ".join(parts)


# -- katas init --assignment ------------------------------------------------------------------


def init_assignment(
    root: Path, assignment_file: Path, learner: str | None, clock: Clock = utc_now
) -> tuple[Workspace, WorkspaceAssignment, bool]:
    """Make ``root`` the learner's workspace for ``assignment_file``; return it and whether
    an earlier copy of the same assignment was updated.

    Refuses a folder that is a workspace for another assignment, or one with self-study
    progress: an assignment's hints, attempts and lateness must be its own.
    """
    try:
        loaded = load_assignment(assignment_file)
        if learner is not None:
            learner = clean_learner_name(learner)  # before anything is written
    except (AssignmentError, ValueError) as exc:
        raise CourseworkError(str(exc)) from None
    existed = (root / ".katas" / META_FILE).is_file()
    workspace = Workspace.init(root).with_clock(clock)
    earlier = workspace.assignment if existed else None
    if earlier is not None and earlier.record.assignment_id != loaded.id:
        raise CourseworkError(
            f"{workspace.root} is the workspace for assignment {earlier.record.assignment_id!r}; "
            f"make the one for {loaded.id!r} in a new folder"
        )
    if earlier is None and existed and workspace.progress.katas():
        raise CourseworkError(
            f"{workspace.root} is a workspace with your own progress in it; make the one for "
            f"assignment {loaded.id!r} in a new folder"
        )
    name = learner or (earlier.learner if earlier is not None else None) or _os_user()
    try:
        attached = workspace.attach_assignment(loaded, name)
    except ValueError as exc:
        raise CourseworkError(str(exc)) from None
    return workspace, attached, earlier is not None


def print_initialised(
    out: Console, workspace: Workspace, attached: WorkspaceAssignment, updated: bool
) -> None:
    loaded = attached.loaded
    what = "updated" if updated else "ready"
    out.print(
        f"Workspace for [bold]{escape(loaded.title)}[/] {what} at "
        f"[bold]{escape(str(workspace.root))}[/] (learner: {escape(attached.learner)})."
    )
    out.print(
        f"{len(loaded.katas)} katas, {format_points(loaded.total_points)} points · "
        f"{_rules_line(loaded.rules)}."
    )
    out.print("Run `katas` there to start; `katas submit` writes the archive to hand in.")


# -- list, show, check ------------------------------------------------------------------------


def assignment_header(workspace: Workspace | None, catalog: Catalog) -> str:
    """The ``katas list`` table title: the assignment, its points and rules, or just a count."""
    found = workspace.assignment if workspace is not None else None
    if found is None:
        return f"{len(catalog)} katas"
    loaded = found.loaded
    return (
        f"{escape(loaded.title)} · {len(catalog)} katas, "
        f"{format_points(loaded.total_points)} points · {_rules_line(loaded.rules)}"
    )


def solved_late(rules: Rules, progress: KataProgress | None) -> bool:
    """Whether the kata's first pass came after the due date."""
    return progress is not None and rules.is_late(progress.solved_at)


def show_rules(out: Console, workspace: Workspace | None, kata: Kata) -> None:
    """Under ``katas show``: the kata's points and the assignment's rules and due date."""
    found = workspace.assignment if workspace is not None else None
    if found is None or workspace is None:
        return
    points = format_points(found.loaded.points(kata.id))
    line = f"[bold]{escape(found.loaded.title)}[/]: {points} points · {_rules_line(found.rules)}"
    if solved_late(found.rules, workspace.progress.kata(kata.id)):
        line += " · [yellow]solved late[/]"
    out.print(line)


def late_note(rules: Rules, recorded: Recorded | None) -> str | None:
    """After ``katas check``: a first pass after the due date is recorded as late (not refused)."""
    if recorded is None or not recorded.first_solve or not rules.is_late(recorded.attempt.at):
        return None
    return (
        f"[yellow]Passed after the due date ({rules.due_text()}): recorded as late.[/] "
        "It still counts; your instructor sees when."
    )


# -- katas submit -----------------------------------------------------------------------------


def submit(
    out: Console, workspace: Workspace | None, learner: str | None, target: Path | None
) -> int:
    """Write the submission archive and say what is in it."""
    found = workspace.assignment if workspace is not None else None
    if workspace is None or found is None:
        raise CourseworkError(
            "no assignment workspace here: `katas submit` hands in a workspace made with "
            "`katas init --assignment FILE DIR`; run it inside that folder"
        )
    loaded = found.loaded
    name = learner or found.learner
    try:
        path = write_submission(workspace, loaded, name, target)
    except (SubmissionError, ValueError) as exc:
        raise CourseworkError(str(exc)) from None
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    _summary(out, workspace, loaded)
    out.print(f"Wrote [bold]{escape(str(path))}[/] (sha256 {digest[:16]}…) for {escape(name)}.")
    out.print(
        "[dim]Your own verdicts are included for information only: your instructor grades the "
        "files again.[/]"
    )
    return 0


def _summary(out: Console, workspace: Workspace, loaded: LoadedAssignment) -> None:
    known = workspace.progress.katas()
    rules = loaded.rules
    missing: list[str] = []
    for kata in loaded.katas:
        if not workspace.file_for(kata).is_file():
            missing.append(kata.id)
            continue
        progress = known.get(kata.id)
        status = progress.status if progress else "new"
        mark = {"solved": "[green]✓[/]", "attempted": "[red]✗[/]"}.get(status, "·")
        late = " [yellow](late)[/]" if solved_late(rules, progress) else ""
        out.print(f"  {mark} {kata.id}: {status}{late}")
    if missing:
        out.print(f"  [yellow]not included (no file): {', '.join(missing)}[/]")


# -- katas new --------------------------------------------------------------------------------


def new_kata(out: Console, pack: Path, kata_id: str, topic: str, taken: Sequence[str]) -> int:
    """Scaffold a kata and tell the author what to write next."""
    try:
        made = scaffold_kata(pack, kata_id, topic, taken)
    except ScaffoldError as exc:
        raise CourseworkError(str(exc)) from None
    root = made.kata.root
    if made.pack_manifest_created:
        out.print(f"Created {escape(str(root.parent.parent / 'pack.yaml'))}.")
    out.print(f"Created the kata [bold]{kata_id}[/] at {escape(str(root))}:")
    for path in made.files:
        out.print(f"  {escape(str(path.relative_to(root)))}")
    out.print(
        "It is a working example (scale a tensor without changing the input): the solution "
        "passes, the starter and wrong/detached.py fail. Make it yours:\n"
        "  1. kata.yaml: title, description, hints, explanation, concepts, references\n"
        "  2. starter.py: the learner's file, wrong in exactly the way the kata is about\n"
        "  3. solution.py: the reference; checks.py: behaviour checks against an oracle\n"
        "  4. wrong/*.py: the mistakes learners really make, one file each\n"
        f"  5. `katas validate {escape(str(root))}` proves the checks tell them apart"
    )
    for note in made.notes:
        out.print(f"[yellow]note:[/] {escape(note)}")
    return 0
