"""The ``katas`` command: the parser and the dispatch. Each command group is a module of its
own (:data:`GROUPS`) that registers its subcommands; every error the user can fix is a
:class:`~trainer.errors.UsageError`, caught here once.

Exit codes of ``katas check`` (and of ``katas validate``, which uses 0 and 1 only) let scripts
tell the verdicts apart; ``unavailable`` has its own code so "not verified here" is never read as
a pass or as a plain failure. Code 2 is a problem the user can fix: a usage error, or a
workspace or progress store that cannot be used.

Global options (``--pack``, ``--plain``, ``--version``) work before the command and after it
(:func:`parse_args`).

``main`` takes an optional ``clock`` so tests can run the real commands at a fixed time: every
progress record and every "due" comparison uses it.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from trainer import __version__
from trainer.cli import (
    author,
    batch,
    coursework,
    handout,
    lms,
    plain,
    progress,
    similarity,
    study,
    watch,
)
from trainer.cli.common import EXIT_CODES, EXIT_USAGE
from trainer.errors import KatasError, UsageError
from trainer.learner.history import Clock

__all__ = ["EXIT_CODES", "EXIT_USAGE", "build_parser", "main", "parse_args"]

GROUPS = (coursework, study, watch, progress, author, batch, lms, similarity, handout)
"""The command modules, in the order ``katas --help`` lists their commands."""


PACK_AFTER = "pack_after_command"
"""Where ``--pack`` given after the command goes, to be added to the ones given before it."""


def _global_options(parser: argparse.ArgumentParser, *, after_command: bool) -> None:
    """The options every command takes, before the command or after it.

    After the command they default to ``argparse.SUPPRESS``, so a subcommand that was not given
    one leaves the value from before the command alone; ``--pack`` after it has its own
    ``dest`` (:data:`PACK_AFTER`), joined to the earlier ones in :func:`parse_args`. A command
    with an option of the same spelling (``katas new --pack``, the pack to write into) keeps its
    own: only the global one before the command means the extra pack there.
    """
    group = parser.add_argument_group("global options (before or after the command)")
    unset = argparse.SUPPRESS

    def add(flag: str, **spec: Any) -> None:
        with contextlib.suppress(argparse.ArgumentError):  # the command's own (katas new --pack)
            group.add_argument(flag, **spec)

    add("--version", action="version", version=f"torch-katas {__version__}")
    add(
        "--pack",
        action="append",
        type=Path,
        default=unset if after_command else [],
        dest=PACK_AFTER if after_command else "pack",
        metavar="DIR",
        help="an extra kata pack (repeatable; KATAS_PATH works too)",
    )
    add(
        "--plain",
        action="store_true",
        default=unset if after_command else False,
        help="the trainer as plain lines for screen readers: no full-screen app, no colours "
        "(also `katas` alone in a terminal with TERM=dumb or NO_COLOR set)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="katas",
        description="A terminal kata trainer for PyTorch. Run without a command to start.",
    )
    _global_options(parser, after_command=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for group in GROUPS:
        group.register(sub)
    for command in {id(p): p for p in sub.choices.values()}.values():  # aliases share one
        _global_options(command, after_command=True)
    return parser


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line, global options gathered from before and after the command."""
    args = build_parser().parse_args(argv)
    args.pack = [*args.pack, *vars(args).pop(PACK_AFTER, [])]
    return args


class _WarningLine(logging.Handler):
    """Core modules' warnings (e.g. a damaged progress store set aside) as one stderr line."""

    def emit(self, record: logging.LogRecord) -> None:
        Console(stderr=True, soft_wrap=True).print(
            f"[yellow]warning:[/] {escape(record.getMessage())}", highlight=False
        )


def main(argv: Sequence[str] | None = None, *, clock: Clock | None = None) -> int:
    args = parse_args(argv)
    args.clock = clock
    # --plain: no escape codes at all (no colour, no bold), whatever the terminal claims
    out = Console(highlight=False, color_system=None) if args.plain else Console(highlight=False)
    handler = _WarningLine(logging.WARNING)
    logger = logging.getLogger("trainer")
    logger.addHandler(handler)
    try:
        if args.command is None:
            return plain.cmd_plain(args, out) if args.plain else study.start(args, out)
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
