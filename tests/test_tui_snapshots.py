"""Snapshots of the TUI (pytest-textual-snapshot): at 80x24 the main screen after a pass, a
failing verdict and the progress screen; at 200x60 the main screen with a hint. Deterministic:
a fixed clock, a workspace under the test's HOME, a fake grader (no durations), no file
watcher, cursor blink and animations off.

Update them with ``pytest tests/test_tui_snapshots.py --snapshot-update`` and look at the SVGs.
"""

from __future__ import annotations

from datetime import timezone
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tests.fixed_clock import FixedClock
from tests.kata_factory import SOLUTION
from tests.test_progress import verdict
from tests.test_tui import CHECKS_TWO, FakeGrader, main_screen, tiny_pack, workspace_at
from trainer.grading.verdict import Status
from trainer.tui.app import KatasApp


def _app(tmp_path: Path, home: Path, clock: FixedClock | None = None) -> KatasApp:
    catalog = tiny_pack(tmp_path / "pack", checks=CHECKS_TWO)
    workspace = workspace_at(home / "pytorch-katas", clock)
    return KatasApp(
        catalog,
        workspace,
        grader=FakeGrader(),
        present=frozenset({"cpu"}),
        tz=timezone.utc,
        watch_files=False,
        animations=False,
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
