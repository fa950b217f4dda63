"""``katas lms-export DIR --to canvas|moodle --roster FILE``: a graded batch as an LMS import.

Matching and the files are :mod:`trainer.batch.lms`'s; this prints what came of it. Unmatched
learners are a result, not an error (exit 0): each is listed here with the reason and in
``DIR/lms-unmatched.csv``, since the instructor has to place them by hand. A roster that cannot
be used or an unknown ``--column`` is a :class:`~trainer.errors.UsageError` (exit 2).
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from trainer.batch.lms import LMS, Lms, default_output, export, write_export
from trainer.batch.publish import load_results
from trainer.cli.render import plural
from trainer.errors import UsageError

if TYPE_CHECKING:
    from trainer.cli.common import Subcommands

__all__ = ["lms_export_command", "register"]

_NAMES = {"canvas": "Canvas", "moodle": "Moodle"}


def register(sub: Subcommands) -> None:
    p = sub.add_parser(
        "lms-export", help="a graded batch's totals as a Canvas or Moodle import (instructors)"
    )
    p.add_argument("dir", type=Path, metavar="DIR", help="a `katas grade` output folder")
    p.add_argument("--to", choices=LMS, required=True, help="the LMS to import into")
    p.add_argument(
        "--roster",
        type=Path,
        required=True,
        metavar="FILE",
        help="the LMS's own gradebook export (CSV), to match learners against",
    )
    p.add_argument(
        "--column",
        metavar="NAME",
        help="Canvas: the assignment column to fill (default: the one named like the title, "
        "else a new one); Moodle: the grade item (default: the title)",
    )
    p.add_argument("--out", type=Path, metavar="FILE", help="default: DIR/<lms>-import.csv")
    p.set_defaults(run=cmd_lms_export)


def cmd_lms_export(args: argparse.Namespace, out: Console) -> int:
    return lms_export_command(
        args.dir, out, lms=args.to, roster=args.roster, column=args.column, target=args.out
    )


def lms_export_command(
    folder: Path,
    out: Console,
    *,
    lms: Lms,
    roster: Path,
    column: str | None = None,
    target: Path | None = None,
) -> int:
    """Match, write the import file and ``lms-unmatched.csv``, and say what happened."""
    folder = folder.expanduser().resolve()
    results = load_results(folder)
    result = export(results, roster.expanduser(), lms, column)
    path = (target or default_output(folder, lms)).expanduser().resolve()
    try:
        listing = write_export(folder, result, path)
    except OSError as exc:
        raise UsageError(f"cannot write {exc.filename or path}: {exc.strerror or exc}") from None

    def say(text: str) -> None:
        out.print(text, soft_wrap=True, highlight=False)

    name = _NAMES[lms]
    keys = Counter(m.key for m in result.matched)
    by = ", ".join(f"{count} by {escape(key)}" for key, count in keys.most_common())
    say(
        f"Matched {len(result.matched)} of {plural(len(results.learners), 'learner')} to the "
        f"{name} roster" + (f" ({by})." if by else ".")
    )
    if result.unmatched:
        unmatched = plural(len(result.unmatched), "learner")
        say(f"[bold]{unmatched} not matched[/] (enter their totals by hand):")
        for u in result.unmatched:
            say(f"  {escape(u.learner)} ({plural(float(u.total), 'point')}): {escape(u.reason)}")
    if result.ungraded:
        kept = "their cells kept as they were" if lms == "canvas" else "not in the import"
        say(
            f"{plural(len(result.ungraded), 'roster student has', 'roster students have')} "
            f"no graded learner ({kept}): " + "; ".join(escape(s) for s in result.ungraded)
        )
    for note in result.notes:
        say(f"[yellow]note:[/] {escape(note)}")
    where = "a new column" if result.new_column else "column" if lms == "canvas" else "grade item"
    named = escape(repr(result.column))
    say(f"Wrote {escape(str(path))} ({where} {named}) and {escape(str(listing))}.")
    if result.new_column:
        say(f"{name} creates a new assignment from the new column when you import the file.")
    elif lms == "moodle":
        say(
            "In Moodle's CSV import, map the first column to the user field and the second to "
            "the grade item."
        )
    return 0
