"""The trainer's App: owns the catalog, the workspace, the grader and the device.

Everything it needs can be injected (tests pass a tiny catalog, a workspace at a fixed clock,
a grader); by default the grader's warm worker starts in the background after the first frame,
so start-up costs little more than loading the catalog.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import tzinfo
from pathlib import Path
from typing import Any, Protocol

from textual.app import App, SystemCommand
from textual.screen import Screen

from trainer.grading.verdict import Verdict
from trainer.kata.catalog import Catalog
from trainer.kata.model import Kata
from trainer.learner.practice import Practice, Visit
from trainer.learner.workspace import Workspace


class GraderLike(Protocol):
    """What the app needs of :class:`trainer.grading.grader.Grader`."""

    def grade(
        self, kata: Kata, path: Path, device: str = "cpu", *, supersede: bool = False
    ) -> Verdict: ...

    def close(self) -> None: ...


class KatasApp(App[int]):
    CSS_PATH = Path(__file__).with_name("katas.tcss")
    TITLE = "torch-katas"
    ENABLE_COMMAND_PALETTE = True

    def __init__(
        self,
        catalog: Catalog,
        workspace: Workspace,
        *,
        grader: GraderLike | None = None,
        device: str = "cpu",
        kata_id: str | None = None,
        present: frozenset[str] | None = None,
        tz: tzinfo | None = None,
        watch_files: bool = True,
        poll: bool = False,
        animations: bool = True,
        monotonic: Callable[[], float] = time.monotonic,
        notes: Sequence[str] = (),
    ) -> None:
        super().__init__()
        self.catalog = catalog
        self.workspace = workspace
        self._own_grader = grader is None
        self._grader = grader
        self._grader_lock = threading.Lock()
        self._warming = False
        self.device = device
        self.kata_id = kata_id
        self.tz = tz
        self.practice = Practice(catalog, workspace, present=present, tz=tz)
        """Every rule the trainer applies: grade -> record -> outcome, solved, next, runnable."""
        self.watch_files = watch_files
        self.poll = poll
        self.stop_watching = asyncio.Event()
        self._monotonic = monotonic
        self._visit: Visit | None = None
        self.notes = list(notes)
        """Shown in the main screen's notice line until dismissed (a toast would be gone by
        the time a learner who stepped away to install torch comes back)."""
        if not animations:
            self.animation_level = "none"

    # ------------------------------------------------------------------ lifecycle

    def on_mount(self) -> None:
        from trainer.tui.screens.main import MainScreen

        self.push_screen(MainScreen())

    @property
    def grader(self) -> GraderLike:
        """The grader, made on first use: its modules are not needed for the first frame."""
        with self._grader_lock:
            if self._grader is None:
                from trainer.grading.grader import Grader

                self._grader = Grader(1)
            return self._grader

    def start_grader(self) -> None:
        """Warm the grader's worker up in the background (the main screen calls this once
        its first frame is on screen); a grader passed in is the caller's to start."""
        if self._own_grader and not self._warming:
            self._warming = True
            self.run_worker(self._warm_up, thread=True, group="warm-up", exit_on_error=False)

    def _warm_up(self) -> None:
        from trainer.grading.grader import Grader

        grader = self.grader
        if isinstance(grader, Grader):
            grader.start()

    async def on_unmount(self) -> None:
        self.stop_watching.set()
        self.leave_kata()
        if self._own_grader and self._grader is not None:
            self._grader.close()

    @property
    def main(self) -> Screen[None]:
        from trainer.tui.screens.main import MainScreen

        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        raise LookupError("the main screen is not open")

    # ------------------------------------------------------------------ katas

    def opened_kata(self, kata: Kata) -> None:
        self.leave_kata()
        self._visit = self.practice.visit(kata.id, self._monotonic)

    def leave_kata(self) -> None:
        """Record the time the open kata has been open, once (as ``katas watch`` does)."""
        if self._visit is not None:
            self._visit.leave()
            self._visit = None

    # ------------------------------------------------------------------ command palette

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        from trainer.tui.screens.main import MainScreen

        yield from super().get_system_commands(screen)
        if not isinstance(screen, MainScreen):
            return
        main = screen
        yield SystemCommand("Edit in the built-in editor", "c · ctrl+s saves", main.action_code)
        yield SystemCommand("Edit in $EDITOR", "e · suspends the trainer", main.action_edit)
        if main.offers("hint"):  # not where the rules refuse it (as for the key bar)
            yield SystemCommand("Reveal the next hint", "h · recorded", main.action_hint)
        yield SystemCommand("Run the checks again", "r", main.action_run)
        yield SystemCommand("Next kata", "n · honours requires", main.action_next)
        if main.offers("solution"):
            yield SystemCommand(
                "Reveal the solution", "s · asks first, recorded", main.action_solution
            )
        yield SystemCommand("Reset the kata", "x · asks first, backs up", main.action_reset)
        yield SystemCommand("Progress", "p · per topic, streak, reviews", main.action_progress)
        yield SystemCommand("Switch device", "d · cpu / auto / cuda", main.action_device)
