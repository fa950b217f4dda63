"""The batch run around the grader: journal, resume, retries, locking, isolation of failures.

The grader itself is replaced by a stand-in that judges a file by its text, so these tests
cover the orchestration in a blink; ``test_batch_e2e.py`` grades for real.
"""

from __future__ import annotations

import fcntl
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import ClassVar

import pytest

from tests.batch_factory import BY_ID, Course, make_class
from trainer.batch import run as batch_run
from trainer.batch.journal import JOURNAL_NAME, Journal, JournalEntry
from trainer.batch.model import GradeStatus, Isolation
from trainer.batch.plan import discover, parse_shard
from trainer.batch.run import BatchOptions, grade_batch
from trainer.coursework.assignment import LoadedAssignment, load_assignment
from trainer.errors import BatchBusy, JournalError, NotIsolated
from trainer.grading.grader import SandboxReport
from trainer.grading.layers import Layer
from trainer.grading.verdict import CheckResult, CheckStatus, Environment, Status, Verdict
from trainer.kata.model import Kata


def verdict(kata_id: str, status: Status) -> Verdict:
    check = CheckStatus.PASSED if status is Status.PASSED else CheckStatus.FAILED
    return Verdict(
        kata_id=kata_id,
        status=status,
        summary=f"judged {status.value}",
        checks=(CheckResult(id="test_it", name="it works", status=check, message="nope"),),
        device="cpu",
        file="x.py",
        environment=Environment(trainer="0", python="3", platform="test"),
    )


class FakeGrader:
    """Judges a file by its text: the kata's solution passes; a text in ``explode`` raises, as
    a failure of this process (not of the learner's child) would."""

    calls: ClassVar[list[tuple[str, float | None]]] = []
    explode: ClassVar[set[str]] = set()
    slow: ClassVar[set[str]] = set()
    """Texts that time out on the wall clock (the machine's fault, until graded alone)."""
    running: ClassVar[int] = 0
    beside_slow: ClassVar[list[int]] = []
    """For each grading of a slow text: how many other gradings ran at the same time."""
    lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, workers: int = 1, *, warm: bool = True) -> None:
        self.warm = warm

    def __enter__(self) -> FakeGrader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def wait_ready(self, timeout: float = 120.0) -> None:
        return None

    def cancel(self) -> None:
        return None

    def grade(
        self,
        kata: Kata,
        path: Path,
        device: str = "cpu",
        *,
        timeout: float | None = None,
        limits: object = None,
        hidden_checks: bool = False,
    ) -> Verdict:
        assert hidden_checks, "katas grade runs the hidden checks"
        text = path.read_text(encoding="utf-8", errors="replace")
        with FakeGrader.lock:
            FakeGrader.calls.append((kata.id, timeout))
            FakeGrader.running += 1
        try:
            if text in FakeGrader.explode:
                raise OSError("disk full")
            if text in FakeGrader.slow:
                time.sleep(0.05)
                with FakeGrader.lock:
                    FakeGrader.beside_slow.append(FakeGrader.running - 1)
                return verdict(kata.id, Status.TIMEOUT).model_copy(update={"clock": "wall"})
            time.sleep(0.01)
            good = text == BY_ID[kata.id].solution
            return verdict(kata.id, Status.PASSED if good else Status.FAILED)
        finally:
            with FakeGrader.lock:
                FakeGrader.running -= 1


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[FakeGrader]]:
    monkeypatch.setattr(batch_run, "Grader", FakeGrader)
    FakeGrader.calls = []
    FakeGrader.explode = set()
    FakeGrader.slow = set()
    FakeGrader.beside_slow = []
    yield FakeGrader


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Course:
    return make_class(tmp_path_factory.mktemp("class"))


@pytest.fixture(scope="module")
def loaded(course: Course) -> LoadedAssignment:
    return load_assignment(course.assignment)


def _run(
    loaded: LoadedAssignment, course: Course, out: Path, options: BatchOptions | None = None
) -> batch_run.BatchRun:
    return grade_batch(loaded, discover([course.submissions]), out, options)


def test_a_batch_scores_what_the_grader_says_and_journals_it(
    fake: type[FakeGrader], loaded: LoadedAssignment, course: Course, tmp_path: Path
) -> None:
    run = _run(loaded, course, tmp_path, BatchOptions(jobs=2))
    assert (run.graded, run.reused, run.retry) == (118, 0, 0)
    totals = {row.learner: row.total for row in run.results.learners}
    expected = {name: cells["total"] for name, cells in course.expected_rows().items()}
    # The stand-in fails every hostile file, so the recipe's scores hold for it too.
    assert totals == expected
    lines = (tmp_path / JOURNAL_NAME).read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0]) == {
        "kind": "header",
        "journal": 1,
        "assignment": "week-5",
        "shard": None,
    }
    assert len(lines) == 1 + 118


def test_a_rerun_reuses_the_journal_unless_what_grades_changed(
    fake: type[FakeGrader], loaded: LoadedAssignment, course: Course, tmp_path: Path
) -> None:
    _run(loaded, course, tmp_path)
    fake.calls.clear()
    again = _run(loaded, course, tmp_path)
    assert (again.graded, again.reused, fake.calls) == (0, 118, [])
    stricter = _run(loaded, course, tmp_path, BatchOptions(timeout=2.0))
    assert (stricter.graded, stricter.reused) == (118, 0)
    assert {t for _, t in fake.calls} == {2.0}


def test_a_failure_in_this_process_is_one_result_and_is_retried_next_time(
    fake: type[FakeGrader], loaded: LoadedAssignment, course: Course, tmp_path: Path
) -> None:
    fake.explode = {BY_ID["relu-it"].wrong}
    first = _run(loaded, course, tmp_path)
    assert first.retry == 4  # wrong-2, wrong-3, wrong-5 and Twin hand in the wrong relu
    row = next(r for r in first.results.learners if r.learner == "wrong-5")
    relu = next(k for k in row.katas if k.kata_id == "relu-it")
    assert relu.status is GradeStatus.CRASHED and "disk full" in relu.summary
    assert relu.points == 0
    assert len(first.results.learners) == 30
    fake.explode = set()
    fake.calls.clear()
    second = _run(loaded, course, tmp_path)
    assert (second.graded, second.reused, second.retry) == (4, 114, 0)
    assert fake.calls == [("relu-it", None)] * 4


def test_the_outputs_are_rewritten_from_the_journal_alone(
    fake: type[FakeGrader], loaded: LoadedAssignment, course: Course, tmp_path: Path
) -> None:
    _run(loaded, course, tmp_path)
    gradebook = (tmp_path / "gradebook.csv").read_bytes()
    for name in ("gradebook.csv", "results.json"):
        (tmp_path / name).unlink()
    (tmp_path / "feedback" / "stale-learner.md").write_text("old", encoding="utf-8")
    _run(loaded, course, tmp_path)
    assert (tmp_path / "gradebook.csv").read_bytes() == gradebook
    assert not (tmp_path / "feedback" / "stale-learner.md").exists()


def test_a_folder_holds_one_batch(
    fake: type[FakeGrader], loaded: LoadedAssignment, course: Course, tmp_path: Path
) -> None:
    _run(loaded, course, tmp_path, BatchOptions(shard=parse_shard("1/2")))
    with pytest.raises(JournalError, match="shard 1/2"):
        _run(loaded, course, tmp_path)


def test_two_runs_cannot_write_one_folder_at_once(
    fake: type[FakeGrader], loaded: LoadedAssignment, course: Course, tmp_path: Path
) -> None:
    with (tmp_path / batch_run.LOCK_NAME).open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(BatchBusy):
            _run(loaded, course, tmp_path)
    assert _run(loaded, course, tmp_path).graded == 118


def test_the_journal_survives_a_line_cut_off_by_a_kill(tmp_path: Path) -> None:
    entry = JournalEntry(
        learner="ada",
        kata_id="double-it",
        file_sha256="0" * 64,
        key="k",
        verdict=verdict("double-it", Status.PASSED),
    )
    with Journal(tmp_path, "week-5", None) as journal:
        journal.append(entry)
    path = tmp_path / JOURNAL_NAME
    line = entry.model_copy(update={"learner": "bob"}).model_dump_json().encode()
    path.write_bytes(path.read_bytes() + line[: len(line) // 2])
    with Journal(tmp_path, "week-5", None) as journal:
        assert journal.skipped == 1 and len(journal) == 1
        assert journal.get("ada", "double-it", "0" * 64, "k") is not None
        journal.append(entry.model_copy(update={"learner": "cy"}))
    with Journal(tmp_path, "week-5", None) as journal:
        assert journal.skipped == 1 and len(journal) == 2
        assert journal.get("cy", "double-it", "0" * 64, "k") is not None
        assert journal.get("ada", "double-it", "0" * 64, "other key") is None
    with pytest.raises(JournalError, match="week-5"):
        Journal(tmp_path, "week-6", None)


def test_command_mistakes_are_usage_errors(
    course: Course, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from trainer.cli.app import main

    out = str(tmp_path / "out")
    grade = ["grade", str(course.assignment)]
    cases = [
        ([*grade, "--out", out], "then the submission archives"),
        (["grade", str(tmp_path / "nope.yaml"), str(course.submissions), "--out", out], "missing"),
        ([*grade, str(tmp_path), "--out", out], "no submission archives"),
        ([*grade, str(course.submissions), "--out", out, "--shard", "3/2"], "out of range"),
        (["report", str(tmp_path)], "no graded batch here"),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        assert message in " ".join(capsys.readouterr().err.split()), argv


def test_a_wall_clock_timeout_is_graded_again_alone_before_it_counts(
    fake: type[FakeGrader], loaded: LoadedAssignment, course: Course, tmp_path: Path
) -> None:
    fake.slow = {BY_ID["square-it"].wrong}  # four learners hand it in
    run = _run(loaded, course, tmp_path, BatchOptions(jobs=2))
    assert run.reruns == 4
    assert len(fake.beside_slow) == 8  # each graded twice: beside others, then alone
    assert sorted(fake.beside_slow)[:4] == [0, 0, 0, 0]
    row = next(r for r in run.results.learners if r.learner == "wrong-5")
    square = next(k for k in row.katas if k.kata_id == "square-it")
    assert square.status is GradeStatus.TIMEOUT
    assert square.summary.endswith("(also when graded again alone)")


def test_a_batch_records_how_learner_code_was_isolated(
    fake: type[FakeGrader],
    loaded: LoadedAssignment,
    course: Course,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run = _run(loaded, course, tmp_path / "isolated")
    assert run.results.isolation is not None and run.results.isolation.read_isolated
    header = (tmp_path / "isolated" / "gradebook.csv").read_text().splitlines()[0]
    assert "read_isolation" not in header

    bare = SandboxReport(applied=(Layer.NO_TERMINAL,), missing=Layer.READ_ISOLATION)
    monkeypatch.setattr(batch_run, "probe_sandbox", lambda: bare)
    with pytest.raises(NotIsolated, match="--allow-unisolated"):
        _run(loaded, course, tmp_path / "refused")
    assert not (tmp_path / "refused" / "gradebook.csv").exists()
    run = _run(loaded, course, tmp_path / "allowed", BatchOptions(allow_unisolated=True))
    assert run.results.isolation == Isolation(
        read_isolated=False, layers=(Layer.NO_TERMINAL,), allowed_unisolated=True
    )
    lines = (tmp_path / "allowed" / "gradebook.csv").read_text().splitlines()
    assert lines[0].endswith(",total,read_isolation")
    assert all(line.endswith(",none") for line in lines[1:])


def test_each_learner_file_is_gone_from_the_batch_scratch_once_graded(
    fake: type[FakeGrader],
    loaded: LoadedAssignment,
    course: Course,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where isolation is missing and the instructor allowed it, a learner still finds no
    earlier learner's file in the shared tree."""
    seen: list[list[str]] = []
    grade = FakeGrader.grade

    def looking(self: FakeGrader, kata: Kata, path: Path, *args: object, **kw: object) -> Verdict:
        seen.append(sorted(p.name for p in path.parent.parent.iterdir()))
        return grade(self, kata, path)

    monkeypatch.setattr(FakeGrader, "grade", looking)
    _run(loaded, course, tmp_path, BatchOptions(jobs=1))
    assert seen and all(len(names) == 1 for names in seen)
