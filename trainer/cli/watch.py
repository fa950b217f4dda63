"""``katas watch``: the plain-terminal loop — save the file, see the verdict, move on.

It watches the workspace folder rather than the file, so editors that save by writing a new
file and renaming it over the old one (vim, most IDEs) still trigger a re-grade.

Every grading is recorded in the workspace's progress store, and so is the time a kata stays
open: from opening it until leaving it (moving on after a pass, or stopping), measured on the
monotonic clock. In review mode (``katas review``) the session grades review files instead and,
after each passed review, opens the next one due.
"""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markdown import Markdown
from rich.rule import Rule
from watchfiles import Change, watch

from trainer.cli.common import add_device, catalog_for, workspace_for
from trainer.cli.render import kata_panel, print_notes, print_verdict
from trainer.grading.grader import Grader
from trainer.grading.verdict import Verdict
from trainer.kata.catalog import Catalog
from trainer.kata.model import Kata
from trainer.learner.practice import Practice, Visit
from trainer.learner.workspace import Workspace

if TYPE_CHECKING:
    from trainer.cli.common import Subcommands

__all__ = ["WatchSession", "cmd_watch", "register"]


def register(sub: Subcommands) -> None:
    p = sub.add_parser("watch", help="grade on every save, then move to the next kata")
    p.add_argument("kata_id", metavar="ID", nargs="?")
    add_device(p)
    p.add_argument("--poll", action="store_true", help="poll instead of file-system events")
    p.set_defaults(run=cmd_watch)


def cmd_watch(args: argparse.Namespace, out: Console) -> int:
    catalog = catalog_for(args)
    kata = catalog.get(args.kata_id) if args.kata_id else None
    workspace = workspace_for(args, out)
    session = WatchSession(Practice(catalog, workspace), out, device=args.device)
    return session.run(kata, poll=args.poll)


class WatchSession:
    """Grades the current kata on every save and advances after a pass, like rustlings."""

    def __init__(
        self,
        practice: Practice,
        console: Console,
        *,
        device: str = "cpu",
        grader: Callable[[Kata, Path, str], Verdict] | None = None,
        review: bool = False,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        assert practice.workspace is not None, "watch mode records into a workspace"
        self.practice = practice
        self.catalog: Catalog = practice.catalog
        self.workspace: Workspace = practice.workspace
        self.console = console
        self.device = device
        self.review = review
        self._grader = grader
        self._monotonic = monotonic
        self.current: Kata | None = None
        self.path: Path | None = None
        self._graded: bytes | None = None
        self._visit: Visit | None = None

    def start(self, kata: Kata | None) -> bool:
        """Open ``kata`` (or the next one due); False when there is nothing left to do."""
        self.leave()
        if kata is None:
            kata = self._next(None)
        if kata is None:
            if self.review:
                self.console.print("[bold green]No more reviews due.[/]")
            else:
                self.console.print("[bold green]Every kata in the catalog is solved.[/] 🎉")
            return False
        self.current = kata
        if self.review:
            self.path = self.practice.open_review(kata)[0]
        else:
            self.path = self.workspace.open(kata)
        self._visit = self.practice.visit(kata.id, self._monotonic)
        self.console.print(Rule("review" if self.review else ""))
        self.console.print(kata_panel(kata, str(self.path)))
        self.console.print(
            f"[dim]Save the file to grade it · `katas hint {kata.id}` for a hint · "
            "Ctrl-C to stop[/]"
        )
        return True

    def leave(self) -> None:
        """Record the time the current kata has been open, once."""
        if self._visit is not None:
            self._visit.leave()
            self._visit = None

    def _next(self, after: str | None) -> Kata | None:
        if self.review:
            return self.practice.next_review()
        return self.practice.next_kata(after=after)

    def grade_current(self) -> Verdict:
        assert self.current is not None and self.path is not None
        kata = self.current
        self._graded = self._content()
        with self.console.status(f"grading {kata.id} on {self.device}…"):
            assert self._grader is not None, "run() sets up the grader"
            outcome = self.practice.attempt(kata, self.path, self._grader, self.device)
        print_verdict(self.console, outcome.verdict, kata.title)
        print_notes(self.console, outcome.notes)
        if outcome.unrecorded is not None:
            raise outcome.unrecorded
        return outcome.verdict

    def after_pass(self) -> bool:
        """Explain, open the next kata and grade it at once; False when the catalog is done.

        Grading straight away shows the learner the new kata's failing checks, which is the
        task at hand; a file that already passes (solved outside the watcher) moves on again.
        """
        while True:
            assert self.current is not None
            self.console.print(Rule("[green]solved[/] · why it works", style="green"))
            self.console.print(Markdown(self.current.spec.explanation))
            if not self.start(self._next(self.current.id)):
                return False
            if not self.grade_current().passed:
                return True

    def _content(self) -> bytes | None:
        try:
            return self.path.read_bytes() if self.path is not None else None
        except OSError:
            return None

    def changed_since_graded(self) -> bool:
        """Whether the file differs from what was last graded.

        Compared on every wake-up, not only on events, so a save that lands while the watcher
        is starting (or an event the platform dropped) is still graded.
        """
        content = self._content()
        return content is not None and content != self._graded

    def is_current(self, change: Change, path: str) -> bool:
        return (
            self.path is not None
            and change is not Change.deleted
            and Path(path).resolve() == self.path.resolve()
        )

    def run(
        self, kata: Kata | None, *, poll: bool = False, stop: threading.Event | None = None
    ) -> int:
        if self._grader is not None:
            return self._watch(kata, poll=poll, stop=stop)
        with Grader(1) as grader:  # warms up while the kata's description is read
            self._grader = grader.grade
            try:
                return self._watch(kata, poll=poll, stop=stop)
            finally:
                self._grader = None

    def _watch(self, kata: Kata | None, *, poll: bool, stop: threading.Event | None) -> int:
        try:
            return self._loop(kata, poll=poll, stop=stop)
        finally:
            self.leave()

    def _loop(self, kata: Kata | None, *, poll: bool, stop: threading.Event | None) -> int:
        if not self.start(kata):
            return 0
        if self.grade_current().passed and not self.after_pass():
            return 0
        try:
            for _changes in watch(
                self.workspace.root,
                watch_filter=self.is_current,
                force_polling=poll,
                poll_delay_ms=200,
                stop_event=stop,
                raise_interrupt=True,
                rust_timeout=1000,
                yield_on_timeout=True,
            ):
                if (
                    self.changed_since_graded()
                    and self.grade_current().passed
                    and not self.after_pass()
                ):
                    return 0
        except KeyboardInterrupt:
            self.console.print("\n[dim]Stopped watching. Your work is saved.[/]")
        return 0
