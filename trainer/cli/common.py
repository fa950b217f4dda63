"""What every ``katas`` command module shares: exit codes, the catalog and workspace of this
invocation, and a prompt. No rule lives here: commands build a
:class:`~trainer.learner.practice.Practice` for those.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, TypeAlias

from rich.console import Console
from rich.markup import escape

from trainer.grading.devices import parse_device
from trainer.grading.verdict import Status
from trainer.kata.catalog import Catalog
from trainer.learner.history import Clock, utc_now
from trainer.learner.workspace import Workspace

__all__ = [
    "DEVICE_HELP",
    "EXIT_CODES",
    "EXIT_USAGE",
    "add_device",
    "catalog_for",
    "clock_of",
    "confirm",
    "found_workspace",
    "interactive",
    "stderr",
    "workspace_for",
]

EXIT_CODES: dict[Status, int] = {
    Status.PASSED: 0,
    Status.FAILED: 1,
    Status.ERROR: 3,
    Status.TIMEOUT: 4,
    Status.CRASHED: 5,
    Status.UNAVAILABLE: 6,
}
"""``katas check``'s exit code per verdict; 2 is a usage error (:class:`UsageError`)."""
EXIT_USAGE = 2
DEVICE_HELP = "cpu, cuda, cuda:N, mps or auto (a GPU when there is one); default cpu"

if TYPE_CHECKING:
    Subcommands: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]
    """What each command module's ``register`` adds its subcommands to."""


def add_device(parser: argparse.ArgumentParser, default: str | None = "cpu") -> None:
    """The ``--device`` option of every grading command, one spelling everywhere."""
    parser.add_argument("--device", type=parse_device, default=default, help=DEVICE_HELP)


def stderr() -> Console:
    return Console(stderr=True)


def clock_of(args: argparse.Namespace) -> Clock:
    clock: Clock = getattr(args, "clock", None) or utc_now
    return clock


def catalog_for(args: argparse.Namespace, console: Console | None = None) -> Catalog:
    """The katas this workspace's learner sees: only an assignment's, in a workspace made
    from one (:meth:`Workspace.catalog`); load problems are printed as warnings."""
    workspace = Workspace.find()
    catalog = workspace.catalog(args.pack) if workspace else Catalog.default(extra=args.pack)
    for problem in catalog.problems:
        (console or stderr()).print(f"[yellow]warning:[/] {escape(str(problem))}", highlight=False)
    return catalog


def workspace_for(args: argparse.Namespace, console: Console) -> Workspace:
    """The workspace, made at the default place (and said so) when there is none."""
    workspace, created = Workspace.locate()
    if created:
        console.print(
            f"Created your kata workspace at [bold]{escape(str(workspace.root))}[/] "
            "(set KATAS_WORKSPACE or run `katas init DIR` to use another folder)."
        )
    return workspace.with_clock(clock_of(args))


def found_workspace(args: argparse.Namespace) -> Workspace | None:
    """The workspace if there is one; commands that only read never create one."""
    workspace = Workspace.find()
    return workspace.with_clock(clock_of(args)) if workspace else None


def interactive() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def confirm(question: str) -> bool:
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in {"y", "yes"}
