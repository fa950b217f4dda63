"""The Textual trainer: ``katas`` with no command in a terminal.

Only this package imports textual, and nothing here imports torch: learner code is graded in
child processes through :class:`trainer.grading.grader.Grader`.
"""

from __future__ import annotations

import gc
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from trainer.kata.catalog import Catalog
from trainer.learner.workspace import Workspace

__all__ = ["come_back", "run", "start"]


def _folder(root: Path) -> str:
    """``root`` as a shell reads it: home as ``~``, quoted where it needs to be."""
    try:
        return "~/" + shlex.quote(str(root.relative_to(Path.home())))
    except ValueError:
        return shlex.quote(str(root))


def come_back(root: Path) -> str:
    """The line printed once the trainer's screen is gone: where the learner's files are and
    the command that brings them back, kept in the terminal's scrollback (the notice that
    said so on screen went with the screen)."""
    folder = _folder(root)
    return f"Your kata workspace: {folder}. To come back: cd {folder} && katas"


def run(
    catalog: Catalog, workspace: Workspace, *, device: str = "cpu", notes: Sequence[str] = ()
) -> int:
    """Run the trainer until the learner quits; return the exit code.

    ``notes`` (a new workspace, katas that failed to load) stay in the screen's notice line
    until the learner dismisses them: printed before the app started, they would be hidden
    behind its screen.
    """
    from trainer.tui.app import KatasApp

    app = KatasApp(catalog, workspace, device=device, notes=notes)
    app.run()
    return app.return_code or 0


def start(extra_packs: Sequence[Path] = (), *, device: str = "cpu") -> int:
    """``katas`` in a terminal: find the catalog and the workspace, then run the trainer.

    A workspace or progress store that cannot be used is a one-line error and exit code 2,
    as for every ``katas`` command.
    """
    from trainer.errors import KatasError, UsageError

    try:
        workspace, created = Workspace.locate()
        catalog = workspace.catalog(extra_packs)  # an assignment's workspace: its katas only
        notes = [f"Some katas could not be loaded: {problem}" for problem in catalog.problems]
        if created:
            notes.insert(
                0,
                f"Created your kata workspace at {_folder(workspace.root)} (set KATAS_WORKSPACE "
                "or run `katas init DIR` to use another folder).",
            )
        code = run(catalog, workspace, device=device, notes=notes)
        print(come_back(workspace.root))  # after the app: the terminal's screen is back
        return code
    except KatasError as exc:  # the family's base, caught once
        print(f"error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, UsageError) else 1
    except KeyboardInterrupt:
        return 130
    finally:
        gc.enable()  # in case the trainer never drew its first frame
