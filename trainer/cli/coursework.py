"""Coursework commands: ``katas init`` (a workspace, or an assignment's) and ``katas submit``,
plus what ``list`` and ``show`` add in an assignment's workspace (the header with the due date,
the points, the late mark). The rules themselves are :mod:`trainer.coursework`'s and
:mod:`trainer.learner.practice`'s.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from trainer.cli.common import clock_of, found_workspace
from trainer.cli.render import plural, styled
from trainer.coursework.assignment import LoadedAssignment, WorkspaceAssignment
from trainer.errors import UsageError
from trainer.kata.catalog import Catalog
from trainer.kata.model import Kata
from trainer.learner.practice import Practice
from trainer.learner.workspace import Workspace
from trainer.marks import GRADE, PROGRESS, VERDICT

if TYPE_CHECKING:
    from trainer.cli.common import Subcommands
    from trainer.coursework.submission import Manifest

__all__ = ["assignment_header", "register", "show_rules"]


def register(sub: Subcommands) -> None:
    p = sub.add_parser("init", help="make a workspace folder for your kata files")
    p.add_argument("dir", nargs="?", type=Path, default=None)
    p.add_argument(
        "--assignment", type=Path, metavar="FILE", help="a workspace for this assignment.yaml"
    )
    p.add_argument("--learner", metavar="NAME", help="your name on submissions (default: login)")
    p.set_defaults(run=cmd_init)

    p = sub.add_parser("submit", help="write the archive to hand in for your assignment")
    p.add_argument("--learner", metavar="NAME", help="default: the name given at init")
    p.add_argument("--out", type=Path, metavar="FILE", help="default: NAME.ASSIGNMENT.katas.zip")
    p.set_defaults(run=cmd_submit)


def cmd_init(args: argparse.Namespace, out: Console) -> int:
    root = (args.dir or Path.cwd()).expanduser().resolve()
    if args.assignment is not None:
        from trainer.coursework.enrol import init_assignment

        print_initialised(
            out, *init_assignment(root, args.assignment, args.learner, clock_of(args))
        )
        return 0
    if args.learner is not None:
        raise UsageError("--learner goes with --assignment FILE")
    workspace = Workspace.init(root)
    out.print(
        f"Workspace ready at [bold]{escape(str(workspace.root))}[/]. Run `katas` there to start."
    )
    return 0


def cmd_submit(args: argparse.Namespace, out: Console) -> int:
    workspace = found_workspace(args)
    catalog = workspace.catalog(args.pack) if workspace is not None else Catalog(())
    return submit(out, Practice(catalog, workspace), args.learner, args.out)


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
        f"{plural(len(loaded.katas), 'kata')}, {plural(float(loaded.total_points), 'point')} · "
        f"{loaded.rules.summary()}."
    )
    out.print("Run `katas` there to start; `katas submit` writes the archive to hand in.")


# -- list, show ------------------------------------------------------------------------


def assignment_header(
    workspace: Workspace | None, catalog: Catalog, shown: int | None = None
) -> str:
    """The ``katas list`` table title: the assignment, its points and rules, or just a count;
    ``shown``, when filters left fewer, says how many of them are listed."""
    found = workspace.assignment if workspace is not None else None
    count = plural(len(catalog), "kata")
    if shown is not None and shown != len(catalog):
        count = f"{shown} of {count}"
    if found is None:
        return count
    loaded = found.loaded
    return (
        f"{escape(loaded.title)} · {count}, {plural(float(loaded.total_points), 'point')} · "
        f"{loaded.rules.summary()}"
    )


def show_rules(out: Console, practice: Practice, kata: Kata) -> None:
    """Under ``katas show``: the kata's points and the assignment's rules and due date."""
    workspace = practice.workspace
    found = workspace.assignment if workspace is not None else None
    if found is None:
        return
    points = plural(float(found.loaded.points(kata.id)), "point")
    line = f"[bold]{escape(found.loaded.title)}[/]: {points} · {found.rules.summary()}"
    if practice.solved_late(kata.id):
        line += " · [yellow]solved late[/]"
    out.print(line)


# -- katas submit -----------------------------------------------------------------------------


def submit(out: Console, practice: Practice, learner: str | None, target: Path | None) -> int:
    """Write the submission archive and say what is in it."""
    from trainer.coursework.submission import read_submission, write_submission

    workspace = practice.workspace
    found = workspace.assignment if workspace is not None else None
    if workspace is None or found is None:
        raise UsageError(
            "no assignment workspace here: `katas submit` hands in a workspace made with "
            "`katas init --assignment FILE DIR`; run it inside that folder"
        )
    loaded = found.loaded
    name = learner or found.learner
    try:
        path = write_submission(workspace, loaded, name, target)
    except ValueError as exc:  # a learner name that cannot be used
        raise UsageError(str(exc)) from None
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    _summary(out, practice, read_submission(path).manifest, loaded)
    out.print(f"Wrote [bold]{escape(str(path))}[/] (sha256 {digest[:16]}…) for {escape(name)}.")
    out.print(
        "[dim]Your own verdicts are included for information only: your instructor grades the "
        "files again.[/]"
    )
    return 0


def _summary(
    out: Console, practice: Practice, manifest: Manifest, loaded: LoadedAssignment
) -> None:
    """Each file handed in, as its own gradings left it: a kata solved once but edited since,
    or edited and never graded, must not read as passed, nor as ``new``."""
    from trainer.coursework.submission import file_states

    known = practice.known()
    for item in file_states(manifest, loaded):
        kata_id, verdict = item.kata_id, item.verdict
        check = f"run `katas check {kata_id}` first if you want to know"
        if item.state == "starter":
            mark = styled(GRADE["not-attempted"])
            what = "the starter, unchanged: it will be not-attempted"
        elif item.state == "never-graded" or verdict is None:
            mark, what = styled(PROGRESS["new"]), f"edited, never graded ({check})"
        elif item.state == "changed":
            then = VERDICT[verdict.status.value].label
            mark, what = styled(PROGRESS["new"]), f"edited since it was graded ({then}): {check}"
        else:
            shown = VERDICT[verdict.status.value]
            mark, what = styled(shown), f"{shown.label} ({verdict.passed}/{verdict.total} checks)"
        late = " [yellow](late)[/]" if practice.solved_late(kata_id, known) else ""
        out.print(f"  {mark} {kata_id}: {what}{late}", highlight=False)
    missing = [k.id for k in loaded.katas if k.id not in manifest.files]
    if missing:
        out.print(f"  [yellow]not included (no file): {', '.join(missing)}[/]")
