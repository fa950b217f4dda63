"""The ``katas`` command: the bare command opens the trainer without loading the CLI.

``katas`` alone, in a terminal, is how most learners start, and how soon the screen appears is
the first thing they notice. The CLI's commands bring in Rich's Markdown and syntax highlighting,
argument parsing for a dozen subcommands and the grader's modules, none of which the TUI's first
frame needs. So the bare command goes straight to :func:`trainer.tui.start`; every other
invocation (a command, an option, a pipe) goes to :func:`trainer.cli.app.main`, which behaves the
same for the bare command too.

A terminal that asks for no frills (``TERM=dumb``, or ``NO_COLOR`` set, as screen-reader set-ups
often do) gets the plain trainer instead (``katas --plain``, :mod:`trainer.cli.plain`): lines of
words, no full-screen app.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Mapping


def _tty(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError, OSError):
        return False


def plain_terminal(environ: Mapping[str, str]) -> bool:
    """Whether the environment asks for plain output: ``TERM=dumb``, or ``NO_COLOR`` set to
    anything but "" (https://no-color.org)."""
    return environ.get("TERM") == "dumb" or bool(environ.get("NO_COLOR"))


def main() -> int:
    if len(sys.argv) == 1 and _tty(sys.stdin) and plain_terminal(os.environ):
        from trainer.cli.app import main as cli_main

        return cli_main(["--plain"])
    if len(sys.argv) == 1 and _tty(sys.stdin) and _tty(sys.stdout):
        # Start-up allocates hundreds of thousands of objects that all live on (modules,
        # classes, the catalog), so cyclic collections during it only cost time. The trainer
        # turns the collector back on, with that heap frozen, once its first frame is drawn.
        gc.disable()
        from trainer.tui import start

        return start()
    from trainer.cli.app import main as cli_main

    return cli_main()
