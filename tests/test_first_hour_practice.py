"""A learner's first hour, as the progress store counts it: what is an attempt, which front
end's time is which, and global options wherever they are typed.

- Opening a kata grades it (the TUI on open and on each save, ``katas watch`` on start and on
  each save): neither the untouched starter nor a re-grading of unchanged code is an attempt.
- Time with a kata open is its front end's own: the TUI's is never told as ``katas watch``'s,
  and a visit ends when the learner leaves (quit, the next kata, Ctrl-C).
- ``katas list --pack DIR`` works like ``katas --pack DIR list``.
"""

from __future__ import annotations

import io
import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from rich.console import Console

from tests.fixed_clock import FixedClock
from tests.kata_factory import SOLUTION, make_kata
from tests.test_progress import verdict
from trainer.cli.app import main, parse_args
from trainer.cli.watch import WatchSession
from trainer.grading.verdict import Status, Verdict
from trainer.kata.catalog import Catalog
from trainer.kata.model import Kata
from trainer.learner import progress_db
from trainer.learner.practice import Practice
from trainer.learner.progress import MIGRATIONS, ProgressStore
from trainer.learner.report import build_report
from trainer.learner.review import Grade
from trainer.learner.workspace import Workspace

CPU = frozenset({"cpu"})


def fake_grade(kata: Kata, path: Path, device: str) -> Verdict:
    """Passes a file that doubles, fails any other: no child process."""
    right = "2 * x" in path.read_text(encoding="utf-8")
    return verdict(Status.PASSED if right else Status.FAILED, kata.id)


def edit(path: Path, number: int) -> None:
    """A save of the learner's: different code each time, still wrong."""
    path.write_text(f"def double(x):\n    return x + {number}\n", encoding="utf-8")


@pytest.fixture
def two(tmp_path: Path) -> tuple[Catalog, Workspace, Practice]:
    pack = tmp_path / "pack"
    make_kata(pack, "first", order=1)
    make_kata(pack, "second", order=2, requires=["first"], file="second.py")
    catalog = Catalog.load([pack])
    workspace = Workspace.init(tmp_path / "ws").with_clock(FixedClock())
    return catalog, workspace, Practice(catalog, workspace, present=CPU)


# -- item 2: untouched starters and re-gradings are no attempts -----------------------------------


def test_grading_the_untouched_starter_shows_the_verdict_but_is_no_attempt(
    two: tuple[Catalog, Workspace, Practice],
) -> None:
    catalog, workspace, practice = two
    kata = catalog.get("first")
    path = workspace.open(kata)
    outcome = practice.attempt(kata, path, fake_grade, "cpu")
    assert outcome.verdict.status is Status.FAILED  # the learner still sees the verdict
    assert outcome.recorded is not None and outcome.recorded.attempt.starter
    first = practice.known()["first"]
    assert (first.status, first.attempts, first.last_status) == ("new", 0, None)

    edit(path, 1)
    practice.attempt(kata, path, fake_grade, "cpu")
    first = practice.known()["first"]
    assert (first.status, first.attempts, first.last_status) == ("attempted", 1, Status.FAILED)


def test_four_edits_across_the_tui_and_watch_are_four_attempts(
    two: tuple[Catalog, Workspace, Practice],
) -> None:
    """The "8 attempts after 4 edits" of the issue: the TUI grades on open and on each save,
    ``katas watch`` on start and on each save, and after a pass it opens (and grades) the next
    kata. Eight gradings of the learner's katas; four of them graded work the learner did."""
    catalog, workspace, practice = two
    kata = catalog.get("first")
    path = workspace.open(kata)

    def tui_grades() -> None:
        practice.attempt(kata, path, fake_grade, "cpu")

    tui_grades()  # the TUI opens kata 1: its starter
    edit(path, 1)
    tui_grades()  # save 1
    edit(path, 2)
    tui_grades()  # save 2; the learner quits
    tui_grades()  # the TUI again, on kata 1: graded on open, unchanged
    edit(path, 3)
    tui_grades()  # save 3; the learner quits and starts `katas watch`
    watch = WatchSession(practice, Console(file=io.StringIO()), grader=fake_grade)
    assert watch.start(kata)
    assert not watch.grade_current().passed  # watch grades on start: save 3 again
    path.write_text(SOLUTION, encoding="utf-8")
    assert watch.grade_current().passed  # save 4 passes
    assert watch.after_pass()  # kata 2 opens, and its starter is graded
    watch.leave()

    assert len(workspace.progress.attempts()) == 8  # every grading is kept
    known = practice.known()
    assert (known["first"].status, known["first"].attempts) == ("solved", 4)
    assert known["first"].attempts_to_solve == 4
    assert (known["second"].status, known["second"].attempts) == ("new", 0)
    report = build_report(catalog, workspace.progress, workspace.root, now=workspace.clock())
    assert report.totals.attempts == 4
    assert (report.totals.attempted, report.totals.new) == (0, 1)


def test_reopening_an_edited_kata_does_not_make_its_pass_hard(
    two: tuple[Catalog, Workspace, Practice],
) -> None:
    """Two edits, the kata opened again (graded, unchanged), then the pass: three tries, Good.
    Counting the re-grading would make it four tries, and four is Hard."""
    catalog, workspace, practice = two
    kata = catalog.get("first")
    path = workspace.open(kata)
    for number in (1, 2):
        edit(path, number)
        practice.attempt(kata, path, fake_grade, "cpu")
    practice.attempt(kata, path, fake_grade, "cpu")  # opened again
    path.write_text(SOLUTION, encoding="utf-8")
    outcome = practice.attempt(kata, path, fake_grade, "cpu")
    assert outcome.recorded is not None and outcome.recorded.grade is Grade.GOOD


def test_a_regrading_that_passes_still_solves(tmp_path: Path) -> None:
    """The same code failed (a timeout, another device), then passed: solved, one attempt."""
    store = ProgressStore(tmp_path / ".katas", clock=FixedClock())
    store.record_attempt("k", verdict(Status.TIMEOUT, "k", passed=0), "same")
    recorded = store.record_attempt("k", verdict(Status.PASSED, "k"), "same")
    assert recorded.first_solve
    k = store.kata("k")
    assert (k.status, k.attempts, k.attempts_to_solve) == ("solved", 1, 1)


def test_watch_stays_on_a_kata_whose_untouched_starter_passes(tmp_path: Path) -> None:
    """Its pass solves nothing, so it stays next in line: watch must not go round forever."""
    pack = tmp_path / "pack"
    make_kata(pack, "broken", order=1, starter=SOLUTION)
    make_kata(pack, "fine", order=2)
    catalog = Catalog.load([pack])
    workspace = Workspace.init(tmp_path / "ws").with_clock(FixedClock())
    calls: list[str] = []

    def grade(kata: Kata, path: Path, device: str) -> Verdict:
        calls.append(kata.id)
        assert len(calls) < 10, f"watch went round and round: {calls}"
        return verdict(Status.PASSED, kata.id)  # both starters pass

    watch = WatchSession(
        Practice(catalog, workspace, present=CPU), Console(file=io.StringIO()), grader=grade
    )
    assert watch.start(None) and watch.grade_current().passed
    assert watch.after_pass()  # "fine" opened and passed too; next would be "broken" again
    assert calls == ["broken", "fine"] and watch.current is not None
    assert watch.current.id == "fine"  # it stays, waiting for a save
    assert workspace.progress.status_of("broken") == "new"


def test_the_same_code_after_a_reset_is_a_new_attempt(tmp_path: Path) -> None:
    store = ProgressStore(tmp_path / ".katas", clock=FixedClock())
    store.record_attempt("k", verdict(Status.FAILED, "k"), "mine")
    store.record_reset("k")
    store.record_attempt("k", verdict(Status.FAILED, "k"), "mine")  # pasted back after the reset
    assert store.kata("k").attempts == 2


def test_an_untouched_starter_that_passes_neither_solves_nor_reschedules(tmp_path: Path) -> None:
    """A broken kata whose starter passes (``katas validate`` says so) gives no free solve, and
    an untouched review file gives no free review."""
    clock = FixedClock()
    store = ProgressStore(tmp_path / ".katas", clock=clock)
    passed = verdict(Status.PASSED, "k")
    recorded = store.record_attempt("k", passed, "starter", starter=True)
    assert not recorded.first_solve and store.kata("k").status == "new"
    store.record_attempt("k", passed, "mine")
    clock.advance(days=30)
    store.start_review("k")
    again = store.record_attempt("k", passed, "starter", starter=True, review=True)
    assert again.grade is None and store.kata("k").card is not None
    assert store.kata("k").card.in_progress  # type: ignore[union-attr]
    assert store.kata("k").review_attempts == 0


# -- item 13: each front end's time is its own ---------------------------------------------------


class Ticks:
    """A monotonic clock the test moves: ``ticks.now += 60``."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_time_in_the_tui_is_not_told_as_time_in_watch(
    two: tuple[Catalog, Workspace, Practice],
) -> None:
    """The issue: 1.5 min of watch and 6.5 in the TUI read "8 min in watch"."""
    catalog, workspace, practice = two
    ticks = Ticks()
    tui = practice.visit("first", ticks)  # the TUI's call, as it makes it
    ticks.now += 390
    tui.leave()
    watch = WatchSession(practice, Console(file=io.StringIO()), grader=fake_grade, monotonic=ticks)
    assert watch.start(catalog.get("first"))
    ticks.now += 90
    watch.leave()
    first = practice.known()["first"]
    assert first.time_by_front_end == {"tui": 390.0, "watch": 90.0}
    assert first.time_spent == 480.0
    assert [s.front_end for s in workspace.progress.sessions()] == ["tui", "watch"]


def test_a_watch_visit_ends_at_the_next_kata_and_at_ctrl_c(
    two: tuple[Catalog, Workspace, Practice],
) -> None:
    catalog, workspace, practice = two
    ticks = Ticks()
    workspace.open(catalog.get("first")).write_text(SOLUTION, encoding="utf-8")

    def grade(kata: Kata, path: Path, device: str) -> Verdict:
        if kata.id == "second":
            ticks.now += 30
            raise KeyboardInterrupt  # Ctrl-C while kata 2 is graded
        ticks.now += 60  # kata 1 passes a minute after it opened
        return fake_grade(kata, path, device)

    watch = WatchSession(practice, Console(file=io.StringIO()), grader=grade, monotonic=ticks)
    assert watch.run(catalog.get("first")) == 0
    sessions = workspace.progress.sessions()
    assert [(s.kata_id, s.seconds, s.front_end) for s in sessions] == [
        ("first", 60.0, "watch"),
        ("second", 30.0, "watch"),
    ]
    ticks.now += 3600  # an hour later: nothing more is counted
    watch.leave()
    assert len(workspace.progress.sessions()) == 2


def test_time_recorded_before_front_ends_were_told_apart_is_unknown(tmp_path: Path) -> None:
    """A schema-2 store's sessions migrate to schema 3 with no front end: "unknown"."""
    dot = tmp_path / ".katas"
    dot.mkdir()
    path = dot / "progress.db"
    with closing(progress_db.connect(path)) as conn:
        progress_db.migrate(conn, MIGRATIONS[:2])
        conn.execute(
            "INSERT INTO sessions (kata_id, started_at, seconds) "
            "VALUES ('k', '2024-05-01T12:00:00.000000Z', 120.0)"
        )
    store = ProgressStore(dot)
    assert store.kata("k").time_by_front_end == {"unknown": 120.0}
    store.record_time("k", 30, front_end="plain")
    assert store.kata("k").time_by_front_end == {"unknown": 120.0, "plain": 30.0}
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (len(MIGRATIONS),)
    with pytest.raises(ValueError, match="unknown front end"):
        store.record_time("k", 30, front_end="emacs")  # type: ignore[arg-type]


# -- item 9: global options after the command too -------------------------------------------------


@pytest.fixture
def packs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    monkeypatch.setenv("KATAS_WORKSPACE", str(tmp_path / "ws"))
    one, two = tmp_path / "one", tmp_path / "two"
    make_kata(one, "from-one")
    make_kata(two, "from-two")
    return one, two


def listed(capsys: pytest.CaptureFixture[str], *argv: str) -> set[str]:
    assert main([*argv]) == 0
    return {row["id"] for row in json.loads(capsys.readouterr().out)}


@pytest.mark.parametrize(
    "argv",
    [
        ["list", "--pack", "{one}", "--json"],
        ["--pack", "{one}", "list", "--json"],
        ["list", "--json", "--pack={one}"],
    ],
)
def test_pack_works_before_and_after_the_command(
    capsys: pytest.CaptureFixture[str], packs: tuple[Path, Path], argv: list[str]
) -> None:
    one, _ = packs
    ids = listed(capsys, *(a.format(one=one) for a in argv))
    assert "from-one" in ids and "from-two" not in ids


def test_packs_before_and_after_the_command_add_up(
    capsys: pytest.CaptureFixture[str], packs: tuple[Path, Path]
) -> None:
    one, two = packs
    ids = listed(capsys, "--pack", str(one), "list", "--pack", str(two), "--json")
    assert {"from-one", "from-two"} <= ids
    args = parse_args(["--pack", "a", "--pack", "b", "check", "x", "--pack", "c"])
    assert args.pack == [Path("a"), Path("b"), Path("c")]  # in the order given
    assert not hasattr(args, "pack_after_command")


def test_other_global_options_work_after_the_command_too(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert parse_args(["watch", "--plain"]).plain
    assert parse_args(["--plain", "watch"]).plain
    assert not parse_args(["watch"]).plain
    with pytest.raises(SystemExit) as exit_:
        parse_args(["progress", "--version"])
    assert exit_.value.code == 0 and "torch-katas" in capsys.readouterr().out


def test_a_command_with_its_own_pack_option_keeps_it(
    capsys: pytest.CaptureFixture[str], packs: tuple[Path, Path], tmp_path: Path
) -> None:
    """``katas new ID --pack DIR`` is the pack to write the kata into, as before."""
    args = parse_args(["new", "fresh", "--pack", str(tmp_path / "mine"), "--topic", "tensors"])
    assert args.new_pack == tmp_path / "mine" and args.pack == []
    one, _ = packs
    args = parse_args(["--pack", str(one), "new", "fresh", "--pack", "x", "--topic", "t"])
    assert (args.pack, args.new_pack) == ([one], Path("x"))
