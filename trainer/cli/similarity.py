"""``katas similarity DIR``: which learners' files look alike, per kata (instructors).

Reads what ``katas grade`` kept in DIR (each learner's files and each kata's starter), prints the
most similar pairs per kata, and writes ``DIR/similarity.html`` with each pair side by side. A
folder that is not a graded batch, or a bad option, is a :class:`~trainer.errors.UsageError`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from trainer.atomic import atomic_write
from trainer.batch.similarity import COMMON, TOP, html_page, similarity, terminal_tables
from trainer.errors import UsageError

if TYPE_CHECKING:
    from trainer.cli.common import Subcommands

__all__ = ["SIMILARITY_HTML", "register", "similarity_command"]

SIMILARITY_HTML = "similarity.html"


def register(sub: Subcommands) -> None:
    p = sub.add_parser(
        "similarity", help="rank look-alike submissions per kata, starter discounted (instructors)"
    )
    p.add_argument("dir", type=Path, metavar="DIR", help="a `katas grade` output folder")
    p.add_argument(
        "--top", type=int, default=TOP, metavar="N", help=f"pairs shown per kata (default {TOP})"
    )
    p.add_argument("--html", type=Path, metavar="FILE", help=f"default: DIR/{SIMILARITY_HTML}")
    p.add_argument(
        "--common",
        type=int,
        default=COMMON,
        metavar="N",
        help=f"ignore code found in more than N files of a kata (default {COMMON}, as MOSS -m)",
    )
    p.set_defaults(run=cmd_similarity)


def cmd_similarity(args: argparse.Namespace, out: Console) -> int:
    return similarity_command(args.dir, out, top=args.top, html=args.html, common=args.common)


def similarity_command(
    folder: Path, out: Console, *, top: int = TOP, html: Path | None = None, common: int = COMMON
) -> int:
    """Tables here, and the HTML page (default ``DIR/similarity.html``)."""
    if top < 1:
        raise UsageError("--top must be at least 1")
    if common < 2:
        raise UsageError("--common must be at least 2 (code two files share is what we look for)")
    folder = folder.expanduser().resolve()
    report = similarity(folder, common=common)
    out.print(terminal_tables(report, top))
    target = (html or folder / SIMILARITY_HTML).expanduser().resolve()
    try:
        atomic_write(target, html_page(report, top).encode("utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror or exc}") from None
    out.print(f"Wrote {escape(str(target))}.")
    return 0
