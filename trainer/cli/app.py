"""The ``katas`` command: the parser and the dispatch. Each command group is a module of its
own (:data:`GROUPS`) that registers its subcommands; every error the user can fix is a
:class:`~trainer.errors.UsageError`, caught here once.

Exit codes of ``katas check`` (and of ``katas validate``, which uses 0 and 1 only) let scripts
tell the verdicts apart; ``unavailable`` has its own code so "not verified here" is never read as
a pass or as a plain failure. Code 2 is a problem the user can fix: a usage error, or a
workspace or progress store that cannot be used.

``main`` takes an optional ``clock`` so tests can run the real commands at a fixed time: every
progress record and every "due" comparison uses it.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from trainer import __version__
from trainer.cli import author, batch, coursework, handout, lms, progress, similarity, study, watch
from trainer.cli.common import EXIT_CODES, EXIT_USAGE
from trainer.errors import KatasError, UsageError
from trainer.learner.history import Clock

__all__ = ["EXIT_CODES", "EXIT_USAGE", "build_parser", "main"]

GROUPS = (coursework, study, watch, progress, author, batch, lms, similarity, handout)
"""The command modules, in the order ``katas --help`` lists their commands."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="katas",
        description="A terminal kata trainer for PyTorch. Run without a command to start.",
    )
    parser.add_argument("--version", action="version", version=f"torch-katas {__version__}")
    parser.add_argument(
        "--pack",
        action="append",
        type=Path,
        default=[],
        metavar="DIR",
        help="an extra kata pack (repeatable; KATAS_PATH works too)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for group in GROUPS:
        group.register(sub)
    return parser


class _WarningLine(logging.Handler):
    """Core modules' warnings (e.g. a damaged progress store set aside) as one stderr line."""

    def emit(self, record: logging.LogRecord) -> None:
        Console(stderr=True, soft_wrap=True).print(
            f"[yellow]warning:[/] {escape(record.getMessage())}", highlight=False
        )


def main(argv: Sequence[str] | None = None, *, clock: Clock | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.clock = clock
    out = Console(highlight=False)
    handler = _WarningLine(logging.WARNING)
    logger = logging.getLogger("trainer")
    logger.addHandler(handler)
    try:
        if args.command is None:
            return study.start(args, out)
        code: int = args.run(args, out)
        return code
    except KatasError as exc:  # the family's base, caught once: each is one line
        Console(stderr=True).print(f"[red]error:[/] {escape(str(exc))}", highlight=False)
        return EXIT_USAGE if isinstance(exc, UsageError) else 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    finally:
        logger.removeHandler(handler)
