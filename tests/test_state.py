"""Learner state: hints and verdicts persist, writes are atomic, concurrent updates all land."""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from trainer.state import STATE_VERSION, StateStore


def test_a_fresh_workspace_has_no_state(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    assert store.load().katas == {}
    assert store.status_of("any-kata") == "new"
    assert store.kata("any-kata").hints_revealed == 0
    assert not store.path.exists()  # reading writes nothing


def test_hints_are_revealed_in_order_and_capped(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    assert [store.reveal_hint("k", total_hints=3) for _ in range(5)] == [0, 1, 2, 2, 2]
    assert StateStore(tmp_path).kata("k").hints_revealed == 3
    assert store.status_of("k") == "new"  # reading hints is not an attempt


def test_reveal_hint_needs_a_hint(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one hint"):
        StateStore(tmp_path).reveal_hint("k", total_hints=0)


def test_verdicts_count_attempts_and_the_first_pass_solves(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    store.record_verdict("k", "failed")
    assert store.status_of("k") == "attempted"
    assert store.kata("k").solved_at is None

    first_pass = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
    store.record_verdict("k", "passed", at=first_pass)
    store.record_verdict("k", "passed", at=datetime(2024, 6, 1, tzinfo=timezone.utc))
    store.record_verdict("k", "failed")  # breaking it later does not unsolve it

    kata = StateStore(tmp_path).kata("k")
    assert kata.attempts == 4
    assert kata.last_status == "failed"
    assert kata.solved_at == first_pass
    assert store.status_of("k") == "solved"
    assert store.status_of("other") == "new"


def test_state_file_is_versioned_json(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    store.record_verdict("k", "passed")
    data = json.loads(store.path.read_text())
    assert data["version"] == STATE_VERSION
    assert data["katas"]["k"]["last_status"] == "passed"
    assert store.path == tmp_path / ".katas" / "state.json"


def test_a_crash_mid_write_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = StateStore(tmp_path)
    store.reveal_hint("k", total_hints=5)
    before = store.path.read_bytes()

    def crash(*args: Any, **kwargs: Any) -> None:
        raise OSError("disk pulled out")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk pulled out"):
        store.reveal_hint("k", total_hints=5)
    monkeypatch.undo()

    assert store.path.read_bytes() == before
    assert StateStore(tmp_path).kata("k").hints_revealed == 1
    leftovers = [p.name for p in store.dir.iterdir() if p.name not in {"state.json", "lock"}]
    assert leftovers == []


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"", b"[1, 2]", b'{"version": 99, "katas": {}}', b"\xff\xfe"],
    ids=["garbage", "empty", "foreign-shape", "newer-version", "not-utf8"],
)
def test_an_unreadable_state_file_is_set_aside(tmp_path: Path, content: bytes) -> None:
    store = StateStore(tmp_path)
    store.dir.mkdir()
    store.path.write_bytes(content)

    assert store.load().katas == {}
    [notice] = store.take_notices()
    assert notice.moved_to is not None
    assert notice.moved_to.name.startswith("state.json.corrupt-")
    assert notice.moved_to.read_bytes() == content  # nothing the learner had is lost
    assert notice.moved_to.name in str(notice)
    assert store.take_notices() == []

    store.reveal_hint("k", total_hints=2)  # and the fresh state works
    assert store.kata("k").hints_revealed == 1
    assert store.notices == ()


def test_an_update_over_a_corrupt_file_recovers_too(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    store.dir.mkdir()
    store.path.write_text("oops")
    store.record_verdict("k", "passed")
    assert store.status_of("k") == "solved"
    assert len(store.take_notices()) == 1


def test_set_aside_files_never_overwrite_each_other(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    store.dir.mkdir()
    for content in ("first", "second", "third"):
        store.path.write_text(content)
        store.load()
    moved = sorted(p.read_text() for p in store.dir.glob("state.json.corrupt-*"))
    assert moved == ["first", "second", "third"]


def _reveal_many(root: str, times: int, start: Any) -> None:
    start.wait()
    store = StateStore(Path(root))
    for _ in range(times):
        store.reveal_hint("shared", total_hints=10_000)


@pytest.mark.skipif(sys.platform == "win32", reason="fcntl locking is POSIX-only")
def test_concurrent_processes_lose_no_update(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no shared state at all
    start = context.Event()
    times, workers = 40, 3
    processes = [
        context.Process(target=_reveal_many, args=(str(tmp_path), times, start))
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    start.set()
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    assert StateStore(tmp_path).kata("shared").hints_revealed == times * workers
