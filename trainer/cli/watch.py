"""``katas watch``: the plain-terminal loop — save the file, see the verdict, move on.

It watches the workspace folder rather than the file, so editors that save by writing a new
file and renaming it over the old one (vim, most IDEs) still trigger a re-grade.

Every grading is recorded in the workspace's progress store, and so is the time a kata stays
open, as ``katas watch``'s own (``katas progress`` tells it from the TUI's): from opening it until
leaving it (moving on after a pass, or stopping), measured on the monotonic clock. In review mode
(``katas review``) the session grades review files instead and, after each passed review, opens
the next one due.

:class:`Watcher` is the loop and its rules; how it speaks is its subclasses': rich panels here
(:class:`WatchSession`), plain lines in ``katas --plain`` (:mod:`trainer.cli.plain`).
"""

from __future__ import annotations

import argparse
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

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
from trainer.learner.history import FrontEnd
from trainer.learner.practice import Outcome, Practice, Visit
from trainer.learner.workspace import Workspace

if TYPE_CHECKING:
    from trainer.cli.common import Subcommands

__all__ = ["WatchSession", "Watcher", "cmd_watch", "register"]


def register(sub: Subcommands) -> None:
    p = sub.add_parser("watch", help="grade on every save, then move to the next kata")
    p.add_argument("kata_id", metavar="ID", nargs="?")
    add_device(p)
    p.add_argument("--poll", action="store_true", help="poll instead of file-system events")
    p.set_defaults(run=cmd_watch)


def cmd_watch(args: argparse.Namespace, out: Console) -> int:
    if getattr(args, "plain", False):
        from trainer.cli.plain import cmd_plain

        return cmd_plain(args, out)
    catalog = catalog_for(args)
    kata = catalog.get(args.kata_id) if args.kata_id else None
    workspace = workspace_for(args, out)
    session = WatchSession(Practice(catalog, workspace), out, device=args.device)
    return session.run(kata, poll=args.poll)


class Watcher(ABC):
    """Grades the current kata on every save and advances after a pass, like rustlings.

    The rules (what to open, what to grade, when to move on, the time a kata is open) live
    here once; subclasses only say things (the ``show_*`` methods).
    """

    front_end: ClassVar[FrontEnd] = "watch"
    """Whose time a kata open here is (:meth:`Practice.visit`)."""
    wake_ms: ClassVar[int] = 1000
    """How long the watcher waits for a change before it wakes anyway (:meth:`wake_up`)."""

    def __init__(
        self,
        practice: Practice,
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
        self.device = device
        self.review = review
        self._grader = grader
        self._monotonic = monotonic
        self.current: Kata | None = None
        self.path: Path | None = None
        self._graded: bytes | None = None
        self._visit: Visit | None = None

    # -- what the learner is told: each front end its own way --------------------------------

    @abstractmethod
    def show_kata(self, kata: Kata, path: Path) -> None:
        """A kata was opened: what it asks, where its file is, what to do."""

    @abstractmethod
    def show_done(self) -> None:
        """Nothing is left to open: every kata solved, or no review due."""

    @abstractmethod
    def grading(self, kata: Kata) -> AbstractContextManager[object]:
        """Around one grading (a spinner, a line)."""

    @abstractmethod
    def show_outcome(self, kata: Kata, outcome: Outcome) -> None:
        """The verdict of a grading and the notes that came with it."""

    @abstractmethod
    def show_explanation(self, kata: Kata) -> None:
        """``kata`` just passed: why the solution works."""

    @abstractmethod
    def show_stopped(self) -> None:
        """The learner stopped the session (Ctrl-C)."""

    # -- the rules ---------------------------------------------------------------------------

    def start(self, kata: Kata | None) -> bool:
        """Open ``kata`` (or the next one due); False when there is nothing left to do."""
        self.leave()
        if kata is None:
            kata = self._next(None)
        if kata is None:
            self.show_done()
            return False
        self.current = kata
        if self.review:
            self.path = self.practice.open_review(kata)[0]
        else:
            self.path = self.workspace.open(kata)
        self._visit = self.practice.visit(kata.id, self._monotonic, self.front_end)
        self.show_kata(kata, self.path)
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
        with self.grading(kata):
            assert self._grader is not None, "run() sets up the grader"
            outcome = self.practice.attempt(kata, self.path, self._grader, self.device)
        self.show_outcome(kata, outcome)
        if outcome.unrecorded is not None:
            raise outcome.unrecorded
        return outcome.verdict

    def after_pass(self) -> bool:
        """Explain, open the next kata and grade it at once; False when the catalog is done.

        Grading straight away shows the learner the new kata's failing checks, which is the
        task at hand; a file that already passes (solved outside the watcher) moves on again.
        A pass that solves nothing (an untouched starter that passes, a broken kata) leaves
        its kata next in line: the watcher stays rather than go round again.
        """
        passed: set[str] = set()
        while True:
            assert self.current is not None
            passed.add(self.current.id)
            self.show_explanation(self.current)
            nxt = self._next(self.current.id)
            if nxt is not None and nxt.id in passed:
                return True
            if not self.start(nxt):
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

    def wake_up(self) -> bool:
        """One wake-up of the watcher (a change, or :attr:`wake_ms` without one): grade the
        file if it changed, move on after a pass. False when the session is over."""
        if self.changed_since_graded() and self.grade_current().passed:
            return self.after_pass()
        return True

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
            self.leave()  # quit, the catalog done, Ctrl-C or an error: the visit ends here

    def _loop(self, kata: Kata | None, *, poll: bool, stop: threading.Event | None) -> int:
        try:
            if not self.start(kata):
                return 0
            if self.grade_current().passed and not self.after_pass():
                return 0
            for _changes in watch(
                self.workspace.root,
                watch_filter=self.is_current,
                force_polling=poll,
                poll_delay_ms=200,
                stop_event=stop,
                raise_interrupt=True,
                rust_timeout=self.wake_ms,
                yield_on_timeout=True,
            ):
                if not self.wake_up():
                    return 0
        except KeyboardInterrupt:
            self.show_stopped()
        return 0


class WatchSession(Watcher):
    """``katas watch`` and ``katas review``: the watcher, told in rich panels and rules."""

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
        super().__init__(practice, device=device, grader=grader, review=review, monotonic=monotonic)
        self.console = console

    def show_kata(self, kata: Kata, path: Path) -> None:
        self.console.print(Rule("review" if self.review else ""))
        self.console.print(kata_panel(kata, str(path)))
        self.console.print(
            f"[dim]Save the file to grade it · `katas hint {kata.id}` for a hint · "
            "Ctrl-C to stop[/]"
        )

    def show_done(self) -> None:
        if self.review:
            self.console.print("[bold green]No more reviews due.[/]")
        else:
            self.console.print("[bold green]Every kata in the catalog is solved.[/] 🎉")

    def grading(self, kata: Kata) -> AbstractContextManager[object]:
        return self.console.status(f"grading {kata.id} on {self.device}…")

    def show_outcome(self, kata: Kata, outcome: Outcome) -> None:
        print_verdict(self.console, outcome.verdict, kata.title)
        print_notes(self.console, outcome.notes)

    def show_explanation(self, kata: Kata) -> None:
        self.console.print(Rule("[green]solved[/] · why it works", style="green"))
        self.console.print(Markdown(kata.spec.explanation))

    def show_stopped(self) -> None:
        self.console.print("\n[dim]Stopped watching. Your work is saved.[/]")
