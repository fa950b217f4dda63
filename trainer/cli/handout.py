"""``katas handout SOURCE OUT``: the learner's copy of a pack or an assignment (instructors)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from trainer.cli.render import plural

if TYPE_CHECKING:
    from trainer.cli.common import Subcommands

__all__ = ["register"]


def register(sub: Subcommands) -> None:
    p = sub.add_parser(
        "handout",
        help="write the learners' copy of a pack or assignment: no solutions, no hidden checks",
    )
    p.add_argument("source", type=Path, metavar="SOURCE", help="a pack folder or assignment.yaml")
    p.add_argument("out", type=Path, metavar="OUT", help="a new folder for the learners' copy")
    p.set_defaults(run=cmd_handout)


def cmd_handout(args: argparse.Namespace, out: Console) -> int:
    from trainer.kata.handout import handout

    made = handout(args.source, args.out)
    hidden = made.hidden_checks
    out.print(
        f"Wrote the learners' copy of {plural(len(made.katas), 'kata')} to "
        f"{escape(str(made.out))}: starters, kata text and public checks. Kept back: every "
        f"solution, every wrong/ answer and {plural(hidden, 'hidden check')}."
    )
    if made.assignment is not None:
        out.print(
            f"Learners start with `katas init --assignment {escape(str(made.assignment))} DIR`; "
            "grade their archives against your own assignment.yaml, not the copy."
        )
    if made.builtin:
        shown = ", ".join(made.builtin[:4]) + (" …" if len(made.builtin) > 4 else "")
        out.print(
            f"[yellow]note:[/] {plural(len(made.builtin), 'kata is', 'katas are')} built in "
            f"({escape(shown)}): they "
            "ship with torch-katas, solutions included. Put katas whose answers must stay "
            "hidden in a pack of your own."
        )
    return 0
