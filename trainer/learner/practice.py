"""Practice: the rules every front end shares, each written once.

``katas check``, ``katas watch``, ``katas review``, the piped ``katas`` and the TUI all ask the
same questions: grade this file and record it (and what should the learner be told?), which
katas are solved, which can this machine grade, which kata comes next, which review is due.
:class:`Practice` answers them; a front end only draws the answers. ``tests/test_architecture``
proves no front end reaches the progress store's recording or the catalog's ordering itself.

Notes come back as plain text with a :class:`~trainer.marks.Tone`, never markup, so the CLI
(rich) and the TUI (Textual) style them each their own way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path

from trainer.errors import ProgressError, UsageError
from trainer.grading import devices
from trainer.grading.layers import read_isolated
from trainer.grading.verdict import Verdict
from trainer.kata.catalog import Catalog
from trainer.kata.model import Kata
from trainer.learner.history import FrontEnd, KataProgress, Recorded, sha256_hex
from trainer.learner.workspace import Workspace
from trainer.marks import Tone

__all__ = [
    "FOLD_ABOVE",
    "CurrentKata",
    "GradeFile",
    "Note",
    "Outcome",
    "Practice",
    "TopicCount",
    "Visit",
]

FOLD_ABOVE = 30
"""A catalog of more katas than this is shown folded, by ``katas list`` and the TUI's tree
alike: a line per topic with its counts, and only the current kata's topic open. Thirty rows
is what a 24-line terminal scrolls through without losing its place; an assignment of a dozen
katas stays flat."""

GradeFile = Callable[[Kata, Path, str], Verdict]
"""How a front end grades: ``(kata, file, device) -> Verdict`` (a :class:`Grader`'s ``grade``,
or :func:`trainer.grading.grader.grade` for one cold grading)."""


@dataclass(frozen=True)
class Note:
    """One line for the learner after a grading, in plain text."""

    text: str
    tone: Tone


@dataclass(frozen=True)
class CurrentKata:
    """The kata a command given no id works on, and why that one, in words for the learner."""

    kata: Kata
    why: str


@dataclass(frozen=True)
class TopicCount:
    """Where the learner stands in one topic."""

    topic: str
    total: int
    solved: int
    attempted: int

    @property
    def new(self) -> int:
        return self.total - self.solved - self.attempted


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to: the verdict, what recording it did, what to tell the learner.

    ``unrecorded`` is the reason the progress store could not record it: the verdict still
    stands, and each front end says so its own way (the CLI exits 2, the TUI notifies).
    """

    verdict: Verdict
    recorded: Recorded | None
    notes: tuple[Note, ...] = ()
    unrecorded: ProgressError | None = None

    @property
    def passed(self) -> bool:
        return self.verdict.passed


class Practice:
    """One learner's practice over ``catalog`` in ``workspace`` (None: grade, record nothing).

    ``present`` is the set of device kinds this machine has (default: probed once, without
    torch, by :func:`~trainer.grading.devices.present_here`); ``tz`` is the zone dates are
    told in (default: local time).
    """

    def __init__(
        self,
        catalog: Catalog,
        workspace: Workspace | None,
        *,
        present: frozenset[str] | None = None,
        tz: tzinfo | None = None,
    ) -> None:
        self.catalog = catalog
        self.workspace = workspace
        self._present = present
        self.tz = tz
        self._sandbox_noted = False

    # -- this machine -----------------------------------------------------------------------

    @property
    def present(self) -> frozenset[str]:
        """The device kinds this machine has, probed on first use (a guess, without torch)."""
        if self._present is None:
            self._present = devices.present_here()
        return self._present

    def needs(self, kata: Kata) -> str:
        """What ``kata`` needs that this machine lacks ("cuda", "cuda or mps"); "" if none."""
        return devices.missing_devices(kata.spec.devices, self.present)

    def runnable(self, kata: Kata) -> bool:
        """Whether this machine can grade ``kata`` on one of the devices it lists."""
        return not self.needs(kata)

    def devices(self) -> list[str]:
        """The devices a learner can choose to grade on here: cpu, auto, then each GPU kind."""
        return ["cpu", "auto", *(kind for kind in ("cuda", "mps") if kind in self.present)]

    # -- where the learner stands ------------------------------------------------------------

    def known(self) -> dict[str, KataProgress]:
        """The progress store's view of every kata it has seen ({} without a workspace)."""
        return self.workspace.progress.katas() if self.workspace is not None else {}

    def solved(self, known: Mapping[str, KataProgress] | None = None) -> set[str]:
        """The catalog's solved katas, from ``known`` (:meth:`known`) or a fresh read."""
        if known is None:
            known = self.known()
        return {k.id for k in self.catalog if k.id in known and known[k.id].status == "solved"}

    def folds(self) -> bool:
        """Whether the catalog is shown folded (:data:`FOLD_ABOVE`)."""
        return len(self.catalog) > FOLD_ABOVE

    def topic_counts(self, known: Mapping[str, KataProgress] | None = None) -> list[TopicCount]:
        """Each topic's katas, solved and attempted, in catalog order."""
        if known is None:
            known = self.known()
        counts = []
        for topic, katas in self.catalog.by_topic().items():
            statuses = [known[k.id].status if k.id in known else "new" for k in katas]
            counts.append(
                TopicCount(topic, len(katas), statuses.count("solved"), statuses.count("attempted"))
            )
        return counts

    def next_kata(
        self, after: str | None = None, known: Mapping[str, KataProgress] | None = None
    ) -> Kata | None:
        """The next kata whose ``requires`` are solved; ones this machine cannot grade last."""
        return self.catalog.next_kata(self.solved(known), after=after, runnable=self.runnable)

    def first_kata(
        self, requested: str | None = None, known: Mapping[str, KataProgress] | None = None
    ) -> Kata | None:
        """Where a session opens: the kata asked for, else the next one, else the first."""
        if requested is not None and requested in self.catalog:
            return self.catalog.get(requested)
        return self.next_kata(known=known) or next(iter(self.catalog), None)

    def solved_late(self, kata_id: str, known: Mapping[str, KataProgress] | None = None) -> bool:
        """Whether the kata's first pass came after the assignment's due date."""
        if self.workspace is None:
            return False
        progress = (known if known is not None else self.known()).get(kata_id)
        return progress is not None and self.workspace.rules.is_late(progress.solved_at)

    def is_solved(self, kata_id: str) -> bool:
        """Whether the kata has passed once (breaking it later does not unsolve it)."""
        return self.workspace is not None and self.workspace.progress.status_of(kata_id) == "solved"

    # -- hints and the reference solution ------------------------------------------------------

    def check_hint_allowed(self) -> None:
        """Refuse (:class:`UsageError`) when the assignment turns hints off: front ends ask
        this to offer or hide the hint key without revealing (and recording) one."""
        refusal = self._workspace().rules.hint_refusal()
        if refusal:
            raise UsageError(refusal)

    def reveal_hint(self, kata: Kata) -> int:
        """Reveal (and record) the next hint; its index into ``kata.spec.hints``. An
        assignment that turns hints off refuses with a :class:`UsageError` saying so."""
        self.check_hint_allowed()
        workspace = self._workspace()
        return workspace.progress.reveal_hint(kata.id, len(kata.spec.hints))

    def check_solution_allowed(self, kata: Kata | None = None) -> None:
        """Refuse (:class:`UsageError`) when the assignment turns revealing solutions off, or
        ``kata`` is a learner's copy whose solution the instructor kept: front ends ask this
        before they ask the learner to confirm."""
        if kata is not None and kata.learner_copy:
            raise UsageError(
                f"your instructor kept the reference solution of {kata.id}: this copy of the "
                "pack has none"
            )
        refusal = self._workspace().rules.solution_refusal()
        if refusal:
            raise UsageError(refusal)

    def reveal_solution(self, kata: Kata) -> str:
        """The reference solution's text, the reveal recorded (it rates the round Again)."""
        self.check_solution_allowed(kata)
        self._workspace().progress.record_solution(kata.id)
        return kata.solution.read_text(encoding="utf-8")

    # -- time with a kata open ------------------------------------------------------------------

    def visit(
        self, kata_id: str, monotonic: Callable[[], float], front_end: FrontEnd = "tui"
    ) -> Visit:
        """Start timing a kata the learner has open in ``front_end``; :meth:`Visit.leave`
        records it, once, as that front end's time (the TUI's is the default).
        The kata becomes the one :meth:`current_kata` means, from now on."""
        workspace = self._workspace()
        workspace.remember_opened(kata_id)
        return Visit(workspace, kata_id, monotonic, front_end)

    # -- the kata a command means without an id ------------------------------------------------

    def current_kata(self) -> CurrentKata | None:
        """The kata ``katas show``, ``check``, ``hint``, ``solution`` and ``reset`` mean when
        given no id: the one ``katas`` or ``katas watch`` opened last (still in the catalog),
        else :meth:`next_kata`. None when there is neither (every kata solved, none opened)."""
        last = self.workspace.last_opened() if self.workspace is not None else None
        if last is not None and last in self.catalog:
            return CurrentKata(self.catalog.get(last), "the kata you opened last")
        nxt = self.next_kata()
        if nxt is None:
            return None
        if last is None:
            return CurrentKata(nxt, "the next kata to do: you have not opened one yet")
        return CurrentKata(nxt, f"the next kata to do: {last}, opened last, is not in this catalog")

    # -- grade -> record -> outcome ----------------------------------------------------------

    def attempt(self, kata: Kata, path: Path, grade: GradeFile, device: str) -> Outcome:
        """Grade ``path``; record it when it is the workspace's file or review file for
        ``kata``; say what the learner should hear. Grading errors (a cancelled grading)
        propagate; a store that cannot record is :attr:`Outcome.unrecorded`."""
        code = _read(path)
        verdict = grade(kata, path, device)
        sandbox = (*self._sandbox_note(verdict), *hidden_note(kata))
        workspace = self.workspace
        if workspace is None:
            return Outcome(verdict, None, sandbox)
        resolved = path.resolve()
        review = resolved == workspace.review_file_for(kata).resolve()
        if not review and resolved != workspace.file_for(kata).resolve():
            return Outcome(verdict, None, sandbox)  # a file elsewhere (--file): not recorded
        try:
            recorded = workspace.progress.record_attempt(
                kata.id,
                verdict,
                sha256_hex(code) if code is not None else None,
                starter=code is not None and code == kata.starter.read_bytes(),
                review=review,
            )
        except ProgressError as exc:
            return Outcome(verdict, None, sandbox, unrecorded=exc)
        return Outcome(verdict, recorded, (*self._notes(recorded), *sandbox))

    def _sandbox_note(self, verdict: Verdict) -> tuple[Note, ...]:
        """Once per session: this platform grades without read isolation, and what that means.

        Self-study still grades (the learner's own code is at stake); ``katas grade`` refuses.
        """
        env = verdict.environment
        if self._sandbox_noted or not (env.sandbox or env.sandbox_missing):
            return ()  # noted already, or no grading child ran (a device this machine lacks)
        if read_isolated(env.sandbox):
            return ()
        self._sandbox_noted = True
        return (
            Note(
                "Graded with a partial sandbox: this platform lacks "
                f"{len(env.sandbox_missing)} of its layers, read isolation among them, so code "
                "under grading could read files outside its own (README: 'Threat model').",
                Tone.WARNING,
            ),
        )

    def _notes(self, recorded: Recorded) -> tuple[Note, ...]:
        notes: list[Note] = []
        card = recorded.card
        when = card.due.astimezone(self.tz).strftime("%Y-%m-%d") if card else ""
        if recorded.first_solve and recorded.grade is not None:
            notes.append(
                Note(
                    f"Solved. Rated {recorded.grade.value} for spaced review; first review on "
                    f"{when} (`katas review`).",
                    Tone.SUCCESS,
                )
            )
        elif recorded.grade is not None:
            notes.append(
                Note(
                    f"Review passed. Rated {recorded.grade.value}; next review on {when}.",
                    Tone.SUCCESS,
                )
            )
        elif recorded.review_not_open and recorded.attempt.passed:
            notes.append(
                Note(
                    "Passed, but no review of this kata is open (`katas review ID` opens one): "
                    "the schedule is unchanged.",
                    Tone.MUTED,
                )
            )
        rules = self.workspace.rules if self.workspace is not None else None
        if rules is not None and recorded.first_solve and rules.is_late(recorded.attempt.at):
            notes.append(
                Note(
                    f"Passed after the due date ({rules.due_text()}): recorded as late. "
                    "It still counts; your instructor sees when.",
                    Tone.WARNING,
                )
            )
        return tuple(notes)

    # -- spaced review -----------------------------------------------------------------------

    def next_review(self) -> Kata | None:
        """The most overdue review among the catalog's katas, if any is due."""
        if self.workspace is None:
            return None
        due = self.workspace.progress.due(among=[kata.id for kata in self.catalog])
        return self.catalog.get(due[0].kata_id) if due else None

    def review_queue(self, now: datetime) -> tuple[list[KataProgress], list[KataProgress]]:
        """(due, scheduled): the catalog's katas due for review at ``now``, and every kata with
        a review schedule, each soonest first (ties by id)."""
        known = {k: p for k, p in self.known().items() if k in self.catalog}
        scheduled = sorted(
            (p for p in known.values() if p.card is not None),
            key=lambda p: (p.card.due if p.card else now, p.kata_id),
        )
        due = [p for p in scheduled if p.card is not None and p.card.is_due(now)]
        return due, scheduled

    def reviews_due(self) -> int:
        """How many of the catalog's katas are due for review."""
        if self.workspace is None:
            return 0
        return len(self.workspace.progress.due(among=[kata.id for kata in self.catalog]))

    def open_review(self, kata: Kata, *, fresh: bool = False) -> tuple[Path, Path | None]:
        """Open a review of ``kata``: the one under way, or (``fresh``, or none) a fresh review
        file, recorded. Returns the review file and the backup of an earlier one, if made."""
        workspace = self._workspace()
        card = workspace.progress.kata(kata.id).card
        path = workspace.review_file_for(kata)
        if not fresh and card is not None and card.in_progress and path.exists():
            return path, None  # carry on with the review already under way
        path, backup = workspace.open_review(kata)
        workspace.progress.start_review(kata.id)
        return path, backup

    def _workspace(self) -> Workspace:
        if self.workspace is None:
            raise ValueError("this needs a workspace")  # a programming error, not the user's
        return self.workspace


class Visit:
    """A kata open in a front end: the time until :meth:`leave`, on the monotonic clock,
    recorded once, as ``front_end``'s, with the wall-clock moment it began.

    The front end is recorded so ``katas progress`` can tell time in the TUI from time in
    ``katas watch``: summed under one label, an hour in the TUI read as an hour of watch.
    """

    def __init__(
        self,
        workspace: Workspace,
        kata_id: str,
        monotonic: Callable[[], float],
        front_end: FrontEnd = "tui",
    ) -> None:
        self.kata_id = kata_id
        self.front_end: FrontEnd = front_end
        self._workspace = workspace
        self._monotonic = monotonic
        self._began: float | None = monotonic()
        self._wall = workspace.clock()

    def leave(self) -> None:
        """The learner left the kata (quit, another kata, Ctrl-C): record the time, once."""
        if self._began is None:
            return
        seconds, self._began = self._monotonic() - self._began, None
        self._workspace.progress.record_time(
            self.kata_id, seconds, started_at=self._wall, front_end=self.front_end
        )


def hidden_note(kata: Kata) -> tuple[Note, ...]:
    """With every verdict on a kata that has hidden checks: a pass here is not yet the grade."""
    count = kata.hidden_check_count
    if not count:
        return ()
    checks = "check runs" if count == 1 else "checks run"
    return (Note(f"{count} more {checks} when your instructor grades.", Tone.MUTED),)


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None
