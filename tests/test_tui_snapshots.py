"""Snapshots of the TUI (pytest-textual-snapshot): at 80x24 the main screen after a pass, a
failing verdict and the progress screen; a learner's first hour at 80x24 (the first launch
with its workspace notice, a failed save from the built-in editor, a pass with its toasts left
on, an assignment's workspace with hints and solutions off); at 200x60 the main screen with a
hint. Deterministic: a fixed clock, a workspace under the test's HOME, a fake grader (no
durations), no file watcher, cursor blink and animations off.

Update them with ``pytest tests/test_tui_snapshots.py --snapshot-update`` and look at the SVGs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timezone
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tests.fixed_clock import FixedClock
from tests.kata_factory import SOLUTION
from tests.test_progress import verdict
from tests.test_tui import CHECKS_TWO, WRONG, FakeGrader, main_screen, tiny_pack, workspace_at
from trainer.grading.verdict import Status
from trainer.learner.workspace import Workspace
from trainer.tui.app import KatasApp
from trainer.tui.widgets import KataEditor


def _app(
    tmp_path: Path,
    home: Path,
    clock: FixedClock | None = None,
    *,
    workspace: Workspace | None = None,
    notes: Sequence[str] = (),
) -> KatasApp:
    if workspace is None:
        workspace = workspace_at(home / "pytorch-katas", clock)
        catalog = tiny_pack(tmp_path / "pack", checks=CHECKS_TWO)
    else:
        catalog = workspace.catalog()
    return KatasApp(
        catalog,
        workspace,
        grader=FakeGrader(),
        present=frozenset({"cpu"}),
        tz=timezone.utc,
        watch_files=False,
        animations=False,
        notes=notes,
    )


async def _settled(pilot: Pilot[Any], gradings: int = 1) -> None:
    app = pilot.app
    assert isinstance(app, KatasApp)
    screen = main_screen(app)
    for _ in range(2000):
        if screen.gradings >= gradings:
            break
        await pilot.pause(0.01)
    await app.workers.wait_for_complete()
    await pilot.pause()


def test_failing_verdict(snap_compare: Any, tmp_path: Path, isolated_home: Path) -> None:
    app = _app(tmp_path, isolated_home)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_settled)


def test_main_screen_after_a_pass(snap_compare: Any, tmp_path: Path, isolated_home: Path) -> None:
    app = _app(tmp_path, isolated_home)
    target = app.workspace.open(app.catalog.get("first"))
    target.write_text(SOLUTION, encoding="utf-8")

    async def run_before(pilot: Pilot[Any]) -> None:
        await _settled(pilot)
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_progress_screen(snap_compare: Any, tmp_path: Path, isolated_home: Path) -> None:
    clock = FixedClock()
    app = _app(tmp_path, isolated_home, clock)
    progress = app.workspace.progress
    progress.record_attempt("first", verdict(Status.FAILED, "first"), "a")
    clock.advance(minutes=5)
    progress.record_attempt("first", verdict(Status.PASSED, "first"), "b")
    clock.advance(days=3)  # the first review is due
    # the session opens second: a wrong answer there is an attempt however starters count
    app.workspace.open(app.catalog.get("second")).write_text(WRONG, encoding="utf-8")

    async def run_before(pilot: Pilot[Any]) -> None:
        await _settled(pilot)
        pilot.app.clear_notifications()
        await pilot.press("p")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_main_screen_at_200x60(snap_compare: Any, tmp_path: Path, isolated_home: Path) -> None:
    """A big terminal: the tree, the whole task and the checks side by side, nothing clipped."""
    app = _app(tmp_path, isolated_home)

    async def run_before(pilot: Pilot[Any]) -> None:
        await _settled(pilot)
        pilot.app.clear_notifications()
        await pilot.press("h")
        await pilot.pause()
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(200, 60), run_before=run_before)


# -- a learner's first hour at 80x24 ------------------------------------------------------------


def test_first_launch_says_where_the_workspace_is(
    snap_compare: Any, tmp_path: Path, isolated_home: Path
) -> None:
    """The notice stays in its line, above the katas, until escape (no toast to time out)."""
    note = (
        "Created your kata workspace at ~/pytorch-katas (set KATAS_WORKSPACE or run "
        "`katas init DIR` to use another folder)."
    )
    app = _app(tmp_path, isolated_home, notes=[note])
    app.workspace.open(app.catalog.get("first")).write_text(WRONG, encoding="utf-8")
    assert snap_compare(app, terminal_size=(80, 24), run_before=_settled)


def test_after_a_failed_save_at_80x24(
    snap_compare: Any, tmp_path: Path, isolated_home: Path
) -> None:
    """Saved from the built-in editor: the editor takes the tree's room, the checks stay."""
    app = _app(tmp_path, isolated_home)

    async def run_before(pilot: Pilot[Any]) -> None:
        await _settled(pilot)
        await pilot.press("c")
        editor = main_screen(pilot.app).query_one(KataEditor)  # type: ignore[arg-type]
        editor.text = WRONG
        await pilot.press("ctrl+s")
        await _settled(pilot, gradings=2)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_after_a_pass_at_80x24_no_toast_covers_the_checks(
    snap_compare: Any, tmp_path: Path, isolated_home: Path
) -> None:
    """Notifications left on: the pass and the review it scheduled are in the verdict pane."""
    app = _app(tmp_path, isolated_home)
    app.workspace.open(app.catalog.get("first")).write_text(WRONG, encoding="utf-8")

    async def run_before(pilot: Pilot[Any]) -> None:
        await _settled(pilot)
        await pilot.press("c")
        editor = main_screen(pilot.app).query_one(KataEditor)  # type: ignore[arg-type]
        editor.text = SOLUTION
        await pilot.press("ctrl+s")
        await _settled(pilot, gradings=2)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_an_assignment_with_hints_and_solutions_off_at_80x24(
    snap_compare: Any, tmp_path: Path, isolated_home: Path
) -> None:
    """The header keeps the count, the device and the due date (the folder gives way, then
    the end of the title); the key bar offers neither h nor s."""
    from tests.assignment_factory import make_assignment, make_course_pack
    from trainer.coursework.assignment import load_assignment

    make_course_pack(tmp_path)
    loaded = load_assignment(
        make_assignment(
            tmp_path,
            title="Week 1: tensors and autograd, the basics",
            katas=["double-it", "grad-a"],
            hints=False,
            solutions=False,
            due="2030-01-31T23:59:00+01:00",
        )
    )
    workspace = workspace_at(isolated_home / "week-1")
    workspace.attach_assignment(loaded, "ada")
    app = _app(tmp_path, isolated_home, workspace=workspace)
    app.workspace.open(app.catalog.get("double-it")).write_text(WRONG, encoding="utf-8")
    assert snap_compare(app, terminal_size=(80, 24), run_before=_settled)
