"""The progress store: what it records, how it rates and schedules reviews (fixed clock), and
that it survives two writers, a kill -9, an old schema, a damaged file and the old state.json."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.fixed_clock import NOON, FixedClock
from trainer.errors import ProgressError
from trainer.grading.verdict import CheckResult, CheckStatus, Environment, Status, Verdict
from trainer.learner import progress_db
from trainer.learner.progress import SCHEMA_VERSION, ProgressStore
from trainer.learner.review import Grade


def verdict(status: Status, kata_id: str = "k", passed: int = 1, total: int = 2) -> Verdict:
    passed = total if status is Status.PASSED else passed
    checks = tuple(
        CheckResult(
            id=f"c{i}",
            name=f"check {i}",
            status=CheckStatus.PASSED if i < passed else CheckStatus.FAILED,
        )
        for i in range(total)
    )
    return Verdict(
        kata_id=kata_id,
        status=status,
        summary="",
        checks=checks,
        duration=0.5,
        device="cpu",
        file="answer.py",
        environment=Environment(trainer="0", python="3", platform="test"),
    )


FAILED, PASSED = verdict(Status.FAILED), verdict(Status.PASSED)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def store(tmp_path: Path, clock: FixedClock) -> ProgressStore:
    return ProgressStore(tmp_path / ".katas", clock=clock)


# -- what is recorded -----------------------------------------------------------------------


def test_a_fresh_store_knows_nothing(store: ProgressStore) -> None:
    assert store.status_of("any") == "new"
    assert store.kata("any").attempts == 0
    assert store.katas() == {}
    assert store.attempts() == []
    assert store.due() == []


def test_every_attempt_is_recorded_and_the_first_pass_solves(
    store: ProgressStore, clock: FixedClock
) -> None:
    store.record_attempt("k", FAILED, "aaa", starter=True)
    assert store.status_of("k") == "new"  # the untouched starter is kept, but no attempt
    clock.advance(minutes=5)
    first_pass = clock.now
    store.record_attempt("k", PASSED, "bbb")
    clock.advance(days=3)
    store.record_attempt("k", PASSED, "ccc")
    store.record_attempt("k", FAILED, "ddd")  # breaking it later does not unsolve it

    k = store.kata("k")
    assert (k.status, k.attempts, k.attempts_to_solve) == ("solved", 3, 1)
    assert k.solved_at == first_pass
    assert k.last_status is Status.FAILED
    attempts = store.attempts("k")
    assert [a.code_sha256 for a in attempts] == ["aaa", "bbb", "ccc", "ddd"]
    first = attempts[0]
    assert (first.checks_passed, first.checks_total, first.duration, first.device) == (
        1,
        2,
        0.5,
        "cpu",
    )
    assert first.at == NOON and first.starter and not first.is_try
    assert store.status_of("other") == "new"


def test_unavailable_is_never_a_solve(store: ProgressStore) -> None:
    recorded = store.record_attempt("gpu", verdict(Status.UNAVAILABLE, passed=0), "x")
    assert not recorded.first_solve and recorded.card is None
    assert store.status_of("gpu") == "attempted"
    assert store.kata("gpu").solved_at is None
    assert store.due(NOON + timedelta(days=400)) == []


def test_hints_are_revealed_in_order_and_capped(store: ProgressStore) -> None:
    assert [store.reveal_hint("k", total_hints=3) for _ in range(5)] == [0, 1, 2, 2, 2]
    assert store.hints_revealed("k") == 3
    assert store.status_of("k") == "new"  # reading hints is not an attempt
    assert [e.detail for e in store.events("k")] == [0, 1, 2, 2, 2]


def test_reveal_hint_needs_a_hint(store: ProgressStore) -> None:
    with pytest.raises(ValueError, match="at least one hint"):
        store.reveal_hint("k", total_hints=0)


def test_hints_and_a_solution_reveal_before_the_solve_are_kept_apart_from_later_ones(
    store: ProgressStore, clock: FixedClock
) -> None:
    store.reveal_hint("k", 3)
    store.record_solution("k")
    clock.advance(minutes=1)
    store.record_attempt("k", PASSED, "x")
    clock.advance(minutes=1)
    store.reveal_hint("k", 3)
    k = store.kata("k")
    assert (k.hints_used, k.hints_revealed) == (1, 2)
    assert k.solution_revealed_before_solving

    store.record_attempt("j", PASSED, "x")
    clock.advance(minutes=1)
    store.record_solution("j")
    j = store.kata("j")
    assert j.solution_revealed and not j.solution_revealed_before_solving


def test_time_spent_adds_up(store: ProgressStore, clock: FixedClock) -> None:
    store.record_time("k", 90)
    store.record_time("k", 30.5, started_at=NOON - timedelta(hours=1))
    assert store.record_time("k", 0) is None
    assert store.kata("k").time_spent == 120.5
    assert [s.started_at for s in store.sessions("k")] == [
        NOON - timedelta(seconds=90),
        NOON - timedelta(hours=1),
    ]


def test_a_failure_inside_a_write_leaves_nothing_behind(
    store: ProgressStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.record_attempt("k", FAILED, "a")

    def crash(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("power cut")

    monkeypatch.setattr(
        "trainer.learner.progress._rate", crash
    )  # after the attempt row is inserted
    with pytest.raises(RuntimeError, match="power cut"):
        store.record_attempt("k", PASSED, "b")
    monkeypatch.undo()
    assert [a.code_sha256 for a in store.attempts()] == ["a"]
    assert store.status_of("k") == "attempted"


# -- ratings and the review schedule, at a fixed clock -------------------------------------


def _solve(store: ProgressStore, clock: FixedClock, kata_id: str, *steps: str) -> Grade | None:
    """Play ``steps`` (open, fail, starter, hint, solution, wait, wait-long), then pass."""
    for number, step in enumerate(steps):
        if step == "open":
            store.record_opened(kata_id)
        elif step == "starter":
            store.record_attempt(kata_id, FAILED, "starter", starter=True)
        elif step == "fail":
            store.record_attempt(kata_id, FAILED, f"mine-{number}")  # each try an edit
        elif step == "hint":
            store.reveal_hint(kata_id, 3)
        elif step == "solution":
            store.record_solution(kata_id)
        clock.advance(minutes=120 if step == "wait-long" else 1)
    recorded = store.record_attempt(kata_id, PASSED, "right")
    assert recorded.first_solve
    return recorded.grade


@pytest.mark.parametrize(
    ("steps", "grade", "days"),
    [
        (("starter",), Grade.EASY, 8),  # the starter grading is not a try
        (("open",), Grade.EASY, 8),
        (("open", "fail"), Grade.GOOD, 2),
        (("open", "wait-long"), Grade.GOOD, 2),  # first try, but not fast
        (("starter", "fail", "fail", "fail"), Grade.HARD, 1),  # four tries
        (("starter", "fail", "fail"), Grade.GOOD, 2),  # three tries
        (("open", "hint"), Grade.HARD, 1),
        (("open", "hint", "solution"), Grade.AGAIN, 1),
        ((), Grade.GOOD, 2),  # nothing before the pass: how long it took is unknown
    ],
)
def test_the_first_solve_is_rated_from_what_happened_and_scheduled(
    store: ProgressStore, clock: FixedClock, steps: tuple[str, ...], grade: Grade, days: int
) -> None:
    assert _solve(store, clock, "k", *steps) is grade
    card = store.kata("k").card
    assert card is not None
    assert card.last_grade is grade and card.last_review == clock.now
    assert card.due == clock.now + timedelta(days=days)
    assert store.due(clock.now + timedelta(days=days, seconds=-1)) == []
    assert [c.kata_id for c in store.due(clock.now + timedelta(days=days))] == ["k"]
    [log] = store.review_log()
    assert (log.kind, log.grade, log.due) == ("solve", grade, card.due)


def test_later_passes_of_the_kata_file_do_not_reschedule(
    store: ProgressStore, clock: FixedClock
) -> None:
    _solve(store, clock, "k", "open", "fail")
    before = store.kata("k").card
    clock.advance(days=1)
    recorded = store.record_attempt("k", PASSED, "again")
    assert not recorded.first_solve and recorded.grade is None
    assert store.kata("k").card == before


def test_due_reviews_come_most_overdue_first(store: ProgressStore, clock: FixedClock) -> None:
    _solve(store, clock, "easy-one", "open")  # due in 8 days
    _solve(store, clock, "hard-one", "open", "hint")  # due in 1 day
    _solve(store, clock, "good-one", "open", "fail")  # due in 2 days
    later = clock.now + timedelta(days=30)
    assert [c.kata_id for c in store.due(later)] == ["hard-one", "good-one", "easy-one"]
    assert [c.kata_id for c in store.due(clock.now + timedelta(days=3))] == [
        "hard-one",
        "good-one",
    ]
    assert [c.kata_id for c in store.due(later, among=["good-one"])] == ["good-one"]


def test_passing_an_opened_review_reschedules_it(store: ProgressStore, clock: FixedClock) -> None:
    _solve(store, clock, "k", "open", "fail")  # good: due in 2 days
    clock.advance(days=2)
    assert store.start_review("k").in_progress
    clock.advance(minutes=1)
    store.record_attempt("k", FAILED, "starter", starter=True, review=True)
    clock.advance(minutes=2)
    recorded = store.record_attempt("k", PASSED, "right", review=True)
    assert recorded.grade is Grade.EASY  # first try within minutes of opening the review
    card = recorded.card
    assert card is not None and not card.in_progress
    assert card.reviews == 1 and card.last_review == clock.now
    assert card.due > clock.now + timedelta(days=8)
    assert store.due(clock.now + timedelta(days=8)) == []
    k = store.kata("k")
    # review attempts are counted apart, and the untouched review file is no attempt
    assert (k.attempts, k.review_attempts) == (2, 1)
    assert [r.kind for r in store.review_log()] == ["solve", "review"]

    # another pass of the review file, with no review open, changes nothing
    again = store.record_attempt("k", PASSED, "right", review=True)
    assert again.review_not_open and again.grade is None and again.card == card


def test_a_review_with_the_solution_revealed_is_rated_again(
    store: ProgressStore, clock: FixedClock
) -> None:
    _solve(store, clock, "k", "open")
    clock.advance(days=8)
    store.start_review("k")
    assert store.reveal_hint("k", 3) == 0  # a review starts again from the first hint
    assert store.hints_revealed("k") == 1
    clock.advance(minutes=1)
    store.record_solution("k")
    clock.advance(minutes=1)
    recorded = store.record_attempt("k", PASSED, "copied", review=True)
    assert recorded.grade is Grade.AGAIN
    assert recorded.card is not None
    assert recorded.card.due - clock.now < timedelta(days=8)
    assert store.kata("k").hints_used == 0  # the review's hint was after the first solve


def test_a_review_needs_a_solved_kata(store: ProgressStore) -> None:
    with pytest.raises(ValueError, match="not solved"):
        store.start_review("k")


# -- two processes, and a kill -9 -----------------------------------------------------------


def _write_many(dot_dir: str, name: str, times: int, start: Any) -> None:
    start.wait()
    store = ProgressStore(Path(dot_dir))
    for i in range(times):
        store.record_attempt("shared", FAILED, f"{name}-{i}")
        store.reveal_hint("shared", total_hints=10_000)


def test_two_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")  # fresh interpreters: nothing shared
    start = context.Event()
    times = 25
    processes = [
        context.Process(target=_write_many, args=(str(tmp_path), name, times, start))
        for name in ("a", "b")
    ]
    for process in processes:
        process.start()
    start.set()
    for process in processes:
        process.join(timeout=120)
        assert process.exitcode == 0
    store = ProgressStore(tmp_path)
    hashes = {a.code_sha256 for a in store.attempts()}
    assert hashes == {f"{n}-{i}" for n in "ab" for i in range(times)}
    assert store.hints_revealed("shared") == 2 * times  # every reveal saw the one before


_WRITER = """
import sys
from pathlib import Path
from tests.test_progress import FAILED
from trainer.learner.progress import ProgressStore

store = ProgressStore(Path(sys.argv[1]))
i = 0
while True:
    store.record_attempt("k", FAILED, str(i))
    print(i, flush=True)  # only once the transaction has committed
    i += 1
"""


def test_a_kill_9_in_the_middle_of_a_write_loop_loses_no_committed_row(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parent.parent
    child = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=root,
    )
    assert child.stdout is not None
    committed = []
    try:
        for line in child.stdout:
            committed.append(int(line))
            if len(committed) == 40:
                os.kill(child.pid, signal.SIGKILL)  # most likely inside the next transaction
                break
        committed += [int(line) for line in child.stdout.read().split()]
    finally:
        child.kill()
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert len(committed) >= 40

    store = ProgressStore(tmp_path)
    rows = [int(a.code_sha256 or -1) for a in store.attempts()]
    assert store.take_notices() == []  # the file was sound: nothing set aside
    assert set(committed) <= set(rows)
    assert rows == list(range(len(rows)))  # no gap, no half row
    assert len(rows) in (len(committed), len(committed) + 1)  # at most one unreported commit
    with closing(sqlite3.connect(store.path)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    store.record_attempt("k", PASSED, "after")  # and it takes writes again
    assert store.status_of("k") == "solved"


# -- an older schema, a damaged file, the old state.json ------------------------------------

_SCHEMA_1 = """
PRAGMA application_id = 1801548897;
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE attempts (
    id INTEGER PRIMARY KEY, kata_id TEXT NOT NULL, at TEXT NOT NULL, status TEXT NOT NULL,
    checks_passed INTEGER NOT NULL, checks_total INTEGER NOT NULL, duration REAL NOT NULL,
    device TEXT NOT NULL, code_sha256 TEXT, starter INTEGER NOT NULL DEFAULT 0,
    imported INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX attempts_by_kata ON attempts (kata_id, id);
CREATE TABLE events (
    id INTEGER PRIMARY KEY, kata_id TEXT NOT NULL, at TEXT NOT NULL, kind TEXT NOT NULL,
    detail INTEGER
);
CREATE INDEX events_by_kata ON events (kata_id, id);
INSERT INTO events (kata_id, at, kind, detail) VALUES
    ('old', '2024-04-01T09:00:00.000000Z', 'opened', NULL),
    ('old', '2024-04-01T09:01:00.000000Z', 'hint', 0);
INSERT INTO attempts (kata_id, at, status, checks_passed, checks_total, duration, device,
                      code_sha256) VALUES
    ('old', '2024-04-01T09:02:00.000000Z', 'failed', 1, 3, 1.5, 'cpu', 'h1'),
    ('old', '2024-04-01T09:05:00.000000Z', 'passed', 3, 3, 1.25, 'cpu', 'h2'),
    ('tried', '2024-04-02T10:00:00.000000Z', 'error', 0, 3, 0.5, 'cpu', 'h3');
PRAGMA user_version = 1;
"""
"""The first schema, written out by hand as torch-katas' first store release made it."""


def test_a_store_from_the_first_schema_migrates_and_keeps_everything(
    tmp_path: Path, store: ProgressStore, clock: FixedClock
) -> None:
    store.dir.mkdir()
    with closing(sqlite3.connect(store.path)) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.executescript(_SCHEMA_1)
    old = store.kata("old")
    assert (old.status, old.attempts, old.hints_used) == ("solved", 2, 1)
    assert old.solved_at == datetime(2024, 4, 1, 9, 5, tzinfo=timezone.utc)
    assert [a.duration for a in store.attempts("old")] == [1.5, 1.25]
    assert store.status_of("tried") == "attempted"
    # solved before reviews existed: the migration gave it a card from its history (a hint: hard)
    assert old.card is not None and old.card.last_grade is Grade.HARD
    assert old.card.due == old.solved_at + timedelta(days=1)
    assert [c.kata_id for c in store.due()] == ["old"]
    with closing(sqlite3.connect(store.path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    # and the new schema's features work on it
    store.start_review("old")
    clock.advance(minutes=3)
    assert store.record_attempt("old", PASSED, "h4", review=True).grade is Grade.EASY
    assert store.take_notices() == []


def test_a_failed_migration_leaves_the_old_schema(
    tmp_path: Path, store: ProgressStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.dir.mkdir()
    with closing(sqlite3.connect(store.path)) as conn:
        conn.executescript(_SCHEMA_1)

    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half_done (x)")
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr("trainer.learner.progress.MIGRATIONS", (progress_db.statements(), broken))
    with pytest.raises(ProgressError, match="disk I/O error"):
        store.status_of("old")
    with closing(sqlite3.connect(store.path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (1,)
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert "half_done" not in tables


def _foreign_db(path: Path) -> None:
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("INSERT INTO photos (name) VALUES ('cat.jpg')")
        conn.commit()


def _damaged_db(path: Path) -> None:
    _foreign_db(path)
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xab" * (4096 - 100)  # keep the header, wreck the schema page
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "make",
    [
        lambda p: p.write_bytes(b"not a database at all\n" * 50),
        lambda p: p.write_bytes(b"\x00\xff" * 3000),
        lambda p: p.write_text('{"version": 1, "katas": {}}'),
        _foreign_db,
        _damaged_db,
    ],
    ids=["text", "binary", "json", "foreign-sqlite", "damaged-sqlite"],
)
def test_a_corrupt_or_foreign_file_is_set_aside_and_a_fresh_store_starts(
    store: ProgressStore, make: Any, caplog: pytest.LogCaptureFixture
) -> None:
    store.dir.mkdir()
    make(store.path)
    before = store.path.read_bytes()

    store.record_attempt("k", PASSED, "x")  # no traceback: it just works

    [notice] = store.take_notices()
    assert notice.moved_to is not None
    assert notice.moved_to.name.startswith("progress.db.corrupt-20240501T120000Z")
    assert notice.moved_to.read_bytes() == before  # nothing is lost
    assert notice.moved_to.name in str(notice) and "\n" not in str(notice)
    assert str(notice) in caplog.text  # logged once, for the CLI's one-line warning
    assert store.status_of("k") == "solved"
    again = ProgressStore(store.dir)
    assert again.status_of("k") == "solved"
    assert again.take_notices() == []  # the fresh store is sound


def test_set_aside_files_never_overwrite_each_other(store: ProgressStore) -> None:
    store.dir.mkdir()
    for content in ("first", "second"):
        store.path.write_text(content * 100)
        fresh = ProgressStore(store.dir, clock=store.clock)
        fresh.status_of("k")
        store.path.unlink()
        store.path.with_name("progress.db-wal").unlink(missing_ok=True)
    moved = sorted(p.read_text() for p in store.dir.glob("progress.db.corrupt-*"))
    assert moved == ["first" * 100, "second" * 100]


def test_a_store_from_a_newer_torch_katas_is_refused_not_replaced(store: ProgressStore) -> None:
    store.dir.mkdir()
    with closing(sqlite3.connect(store.path)) as conn:
        conn.executescript(_SCHEMA_1.replace("user_version = 1", "user_version = 99"))
    with pytest.raises(ProgressError, match=r"newer torch-katas.*upgrade"):
        store.status_of("old")
    assert store.path.exists() and not list(store.dir.glob("*.corrupt-*"))


def test_the_old_state_json_is_imported_once(store: ProgressStore, clock: FixedClock) -> None:
    store.dir.mkdir()
    legacy = store.dir / "state.json"
    state = {
        "version": 1,
        "katas": {
            "solved-it": {
                "hints_revealed": 2,
                "last_status": "failed",
                "solved_at": "2024-04-01T10:00:00Z",
                "attempts": 4,
            },
            "tried-it": {"hints_revealed": 0, "last_status": "error", "attempts": 2},
            "peeked": {"hints_revealed": 1},
        },
    }
    legacy.write_text(json.dumps(state))
    os.utime(legacy, (NOON.timestamp(), NOON.timestamp()))

    solved = store.kata("solved-it")
    assert (solved.status, solved.attempts, solved.hints_used) == ("solved", 4, 2)
    assert solved.solved_at == datetime(2024, 4, 1, 10, tzinfo=timezone.utc)
    assert solved.last_status is Status.FAILED
    assert solved.card is not None and solved.card.last_grade is Grade.HARD  # hints were used
    tried = store.kata("tried-it")
    assert (tried.status, tried.attempts, tried.last_status) == ("attempted", 2, Status.ERROR)
    peeked = store.kata("peeked")
    assert (peeked.status, peeked.hints_revealed) == ("new", 1)
    assert all(a.imported for a in store.attempts())

    assert not legacy.exists() and (store.dir / "state.json.imported").is_file()
    legacy.write_text(json.dumps(state))  # even if it came back, it is not imported twice
    assert ProgressStore(store.dir).kata("solved-it").attempts == 4


def test_an_unreadable_state_json_is_left_alone_with_a_notice(store: ProgressStore) -> None:
    store.dir.mkdir()
    (store.dir / "state.json").write_text("{oops")
    assert store.katas() == {}
    [notice] = store.take_notices()
    assert "state.json could not be read" in str(notice)
    assert (store.dir / "state.json").read_text() == "{oops"
    again = ProgressStore(store.dir)
    assert again.katas() == {}
    assert again.take_notices() == []  # said once, not on every run
