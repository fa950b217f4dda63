"""``katas watch``: a save re-grades, a pass moves on to the next kata."""

from __future__ import annotations

import hashlib
import io
import threading
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from tests.fixed_clock import FixedClock
from tests.kata_factory import SOLUTION, make_kata
from tests.test_progress import verdict
from trainer.cli.watch import WatchSession
from trainer.grading.verdict import Status, Verdict
from trainer.kata.catalog import Catalog
from trainer.kata.model import Kata
from trainer.learner.practice import Practice
from trainer.learner.workspace import Workspace


def _wait_for(condition: Callable[[], bool], seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_saving_by_rename_regrades_and_a_pass_opens_the_next_kata(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    make_kata(pack, "first", order=1)
    make_kata(pack, "second", order=2, requires=["first"], file="second.py")
    catalog = Catalog.load([pack])
    workspace = Workspace.init(tmp_path / "ws")
    buffer = io.StringIO()
    console = Console(file=buffer, width=100)
    session = WatchSession(Practice(catalog, workspace), console)
    stop = threading.Event()
    thread = threading.Thread(target=session.run, args=(None,), kwargs={"poll": True, "stop": stop})
    thread.start()
    try:
        assert _wait_for(lambda: len(workspace.progress.attempts("first")) == 1)
        first = workspace.progress.kata("first")  # grading the untouched starter is no attempt
        assert (first.status, first.attempts) == ("new", 0)
        target = workspace.file_for(catalog.get("first"))
        staged = target.with_name(".answer.py.swp")
        staged.write_text(SOLUTION, encoding="utf-8")
        staged.replace(target)
        assert _wait_for(lambda: workspace.progress.status_of("first") == "solved")
        assert _wait_for(lambda: workspace.file_for(catalog.get("second")).exists())
        assert _wait_for(lambda: session.current is not None and session.current.id == "second")
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()
    text = buffer.getvalue()
    assert "✗ failed" in text
    assert "✓ passed" in text
    assert "Doubling is multiplying by two." in text
    assert "Kata second" in text
    [starter, solved] = workspace.progress.attempts("first")
    assert starter.starter and not starter.passed  # grading on opening is not a try
    assert solved.passed and not solved.starter
    assert solved.code_sha256 == hashlib.sha256(SOLUTION.encode()).hexdigest()
    assert [s.kata_id for s in workspace.progress.sessions()] == ["first", "second"]


def test_time_with_a_kata_open_is_recorded_when_leaving_it(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    make_kata(pack, "first", order=1)
    catalog = Catalog.load([pack])
    workspace = Workspace.init(tmp_path / "ws")
    ticks = iter([100.0, 190.0])  # opened at 100 s, left at 190 s on the monotonic clock
    session = WatchSession(
        Practice(catalog, workspace), Console(file=io.StringIO()), monotonic=lambda: next(ticks)
    )
    assert session.start(catalog.get("first"))
    session.leave()
    session.leave()  # leaving twice records once
    assert workspace.progress.kata("first").time_spent == 90.0


def test_review_mode_grades_review_files_and_moves_on_to_the_next_due(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    make_kata(pack, "first", order=1)
    make_kata(pack, "second", order=2, file="second.py")
    catalog = Catalog.load([pack])
    clock = FixedClock()
    workspace = Workspace.init(tmp_path / "ws").with_clock(clock)
    for kata_id in ("first", "second"):
        workspace.progress.record_attempt(kata_id, verdict(Status.PASSED, kata_id), "x")
    clock.advance(days=3)  # both were rated good: due after 2 days

    def fake_grader(kata: Kata, path: Path, device: str) -> Verdict:
        right = path.read_text(encoding="utf-8") == SOLUTION
        return verdict(Status.PASSED if right else Status.FAILED, kata.id)

    buffer = io.StringIO()
    ticks = iter(range(0, 1000, 60))
    session = WatchSession(
        Practice(catalog, workspace),
        Console(file=buffer, width=100),
        grader=fake_grader,
        review=True,
        monotonic=lambda: next(ticks),
    )
    assert session.start(None)
    first = catalog.get("first")
    assert session.path == workspace.review_file_for(first)
    assert session.path.read_bytes() == first.starter.read_bytes()
    assert not session.grade_current().passed
    session.path.write_text(SOLUTION, encoding="utf-8")
    clock.advance(minutes=2)
    assert session.grade_current().passed
    assert "Review passed." in buffer.getvalue()
    assert session.after_pass()  # the next review is open, and its fresh starter fails
    assert session.current is not None and session.current.id == "second"
    assert session.path == workspace.review_file_for(catalog.get("second"))
    session.path.write_text(SOLUTION, encoding="utf-8")
    assert session.grade_current().passed
    assert not session.after_pass()
    assert "No more reviews due." in buffer.getvalue()

    assert workspace.progress.due() == []
    assert [a.review for a in workspace.progress.attempts("first")] == [False, True, True]
    assert not workspace.file_for(first).exists()  # the kata file was never touched
    assert [s.seconds for s in workspace.progress.sessions()] == [60.0, 60.0]
