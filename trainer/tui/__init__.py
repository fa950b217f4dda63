"""The Textual trainer: ``katas`` with no command in a terminal.

Only this package imports textual, and nothing here imports torch: learner code is graded in
child processes through :class:`trainer.grading.Grader`.
"""

from __future__ import annotations

from trainer.catalog import Catalog
from trainer.workspace import Workspace

__all__ = ["run"]


def run(catalog: Catalog, workspace: Workspace, *, device: str = "cpu") -> int:
    """Run the trainer until the learner quits; return the exit code."""
    from trainer.tui.app import KatasApp

    app = KatasApp(catalog, workspace, device=device)
    app.run()
    return app.return_code or 0
