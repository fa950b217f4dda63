"""The instructor's rules around the grader: lateness, partial credit, regrading.

The grader is the stand-in of ``test_batch_run.py`` (a file is judged by its text), so these
tests check the rules' arithmetic on every gradebook cell in a blink; ``test_class_e2e.py``
grades a whole class for real under the same rules.
"""

from __future__ import annotations

import csv
import io
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from tests.batch_factory import ASSIGNMENT_ID, KATAS, Course, make_class
from tests.test_batch_run import FakeGrader
from trainer.batch import run as batch_run
from trainer.batch.lateness import assess, read_receipts
from trainer.batch.model import GradeStatus, LatePolicyInfo, score
from trainer.batch.plan import discover
from trainer.batch.run import BatchOptions, grade_batch
from trainer.coursework.assignment import load_assignment
from trainer.errors import AssignmentError, PlanError
from trainer.grading.verdict import CheckResult, CheckStatus, Environment, Status, Verdict

DUE = datetime(2025, 3, 14, 23, 59, tzinfo=timezone.utc)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> type[FakeGrader]:
    monkeypatch.setattr(batch_run, "Grader", FakeGrader)
    FakeGrader.calls = []
    FakeGrader.explode = set()
    FakeGrader.slow = set()
    return FakeGrader


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Course:
    return make_class(tmp_path_factory.mktemp("class"))


def _assignment(course: Course, folder: Path, **extra: object) -> Path:
    spec = {
        "schema": 1,
        "id": ASSIGNMENT_ID,
        "title": "Week 5: small functions",
        "packs": [str(course.pack)],
        "katas": ["tensors/*", "basics/*"],
        "points": {"default": 1, **{k.id: k.points for k in KATAS if k.points != 1.0}},
        **extra,
    }
    path = folder / "assignment.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def _rows(folder: Path) -> dict[str, dict[str, str]]:
    text = (folder / "gradebook.csv").read_text(encoding="utf-8")
    return {row["learner"]: row for row in csv.DictReader(io.StringIO(text))}


def test_lateness_is_counted_from_receipts_or_mtimes_and_costs_per_started_day(
    fake: type[FakeGrader], course: Course, tmp_path: Path
) -> None:
    path = _assignment(
        course,
        tmp_path,
        due=DUE.isoformat(),
        late={"grace": "2h", "penalty_per_day": 10, "last_day": "2025-03-18"},
    )
    archives = discover([course.submissions])
    by_name = {a.name: a for a in archives}
    # three receipts: within the grace, 1 day and 1 minute past it, after the last day
    receipts = tmp_path / "receipts.csv"
    times = {
        "correct-0.zip": DUE + timedelta(hours=1, minutes=59),
        "partial-1.zip": DUE + timedelta(days=1, hours=2, minutes=1),
        "wrong-0.zip": DUE + timedelta(days=5),
    }
    assert set(times) <= set(by_name)
    lines = ["archive,received"] + [f"{n},{t.isoformat()}" for n, t in times.items()]
    receipts.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # every other archive: on time by its modification time, but one 3 days late
    for archive in archives:
        os.utime(archive, (DUE.timestamp() - 60, DUE.timestamp() - 60))
    os.utime(by_name["correct-1.zip"], (DUE.timestamp() + 3 * 86400,) * 2)

    run = grade_batch(
        load_assignment(path), archives, tmp_path / "out", BatchOptions(receipts=receipts)
    )
    rows = _rows(tmp_path / "out")
    expected = course.expected_rows()
    late = {"correct-0": (0, 0), "partial-1": (2, 20), "wrong-0": (5, 100), "correct-1": (3, 30)}
    for learner, cells in expected.items():
        row = rows[learner]
        days, penalty = late.get(learner, (0, 0))
        assert (row["late_days"], row["penalty_percent"]) == (str(days), str(penalty)), learner
        assert float(row["total"]) == pytest.approx(cells["total"] * (1 - penalty / 100)), learner
        for kata in KATAS:  # the katas' cells are before the penalty
            assert float(row[kata.id]) == cells[kata.id], (learner, kata.id)
    assert rows["partial-1"]["received"] == "2025-03-16T02:00:00Z"
    assert run.results.received_from == "receipts receipts.csv and archive modification times"
    refused = next(r for r in run.results.learners if r.learner == "wrong-0")
    assert refused.received is not None and refused.received.refused
    assert refused.received.source == "receipts"


def test_without_a_late_policy_lateness_is_recorded_at_no_cost(
    fake: type[FakeGrader], course: Course, tmp_path: Path
) -> None:
    path = _assignment(course, tmp_path, due=DUE.isoformat())
    archives = discover([course.submissions])
    for archive in archives:
        os.utime(archive, (DUE.timestamp() + 86400 + 1,) * 2)
    grade_batch(load_assignment(path), archives, tmp_path / "out", BatchOptions())
    rows = _rows(tmp_path / "out")
    for learner, cells in course.expected_rows().items():
        assert rows[learner]["late_days"] == "2" and rows[learner]["penalty_percent"] == "0"
        assert float(rows[learner]["total"]) == cells["total"]


def test_a_late_policy_is_checked_where_it_is_written(course: Course, tmp_path: Path) -> None:
    cases: list[tuple[dict[str, object], str]] = [
        ({"late": {"penalty_per_day": 10}}, "'late' needs a 'due' date"),
        ({"due": "2025-03-14", "late": {"grace": 15}}, "write the unit"),
        ({"due": "2025-03-14", "late": {"grace": "soon"}}, "is not a duration"),
        ({"due": "2025-03-14", "late": {"last_day": "2025-03-01"}}, "before the due date"),
        ({"weights": {"double-it": {"test_x": 2}}}, "only with 'scoring: per-check'"),
    ]
    for extra, said in cases:
        path = _assignment(course, tmp_path, **extra)
        with pytest.raises(AssignmentError, match=said) as caught:
            load_assignment(path)
        assert str(path) in str(caught.value)


def test_receipts_that_cannot_be_read_are_refused_by_row(tmp_path: Path) -> None:
    bad = tmp_path / "receipts.csv"
    bad.write_text("archive,received\nada.zip,2025-03-15T10:00:00\n", encoding="utf-8")
    with pytest.raises(PlanError, match="line 2: '2025-03-15T10:00:00' has no time zone"):
        read_receipts(bad)
    bad.write_text("who,when\n", encoding="utf-8")
    with pytest.raises(PlanError, match="needs a header row with 'received'"):
        read_receipts(bad)


def test_a_started_day_counts_whole_after_the_grace() -> None:
    policy = LatePolicyInfo(due=DUE, grace_seconds=3600, penalty_per_day=15)
    cases = [
        (timedelta(minutes=59), 0, 0.0),
        (timedelta(hours=1), 0, 0.0),
        (timedelta(hours=1, seconds=1), 1, 0.15),
        (timedelta(days=1, hours=1), 1, 0.15),
        (timedelta(days=1, hours=1, seconds=1), 2, 0.30),
        (timedelta(days=30), 30, 1.0),
    ]
    for late, days, penalty in cases:
        got = assess(policy, DUE + late, "receipts")
        assert got.days == days and got.penalty == pytest.approx(penalty), late


def _verdict(statuses: dict[str, CheckStatus]) -> Verdict:
    return Verdict(
        kata_id="k",
        status=Status.FAILED,
        summary="",
        checks=tuple(CheckResult(id=i, name=i, status=s) for i, s in statuses.items()),
        device="cpu",
        file="x.py",
        environment=Environment(trainer="0", python="3", platform="test"),
    )


def test_per_check_scoring_weighs_the_checks_that_passed() -> None:
    ok, no = CheckStatus.PASSED, CheckStatus.FAILED
    verdict = _verdict({"test_a": ok, "test_b[1]": ok, "test_b[2]": no, "test_c": no})
    weights = {"test_b": 2.0, "test_c": 4.0}
    # weights: a 1, b[1] 2, b[2] 2, c 4 -> passed 3 of 9
    assert score(GradeStatus.FAILED, 3.0, verdict, "per-check", weights) == 1.0
    assert score(GradeStatus.FAILED, 3.0, verdict, "all-or-nothing", weights) == 0.0
    assert score(GradeStatus.FAILED, 3.0, verdict, "per-check") == 1.5
    assert score(GradeStatus.PASSED, 3.0, verdict, "per-check") == 3.0
    assert score(GradeStatus.NOT_ATTEMPTED, 3.0, None, "per-check") == 0.0
    assert score(GradeStatus.ERROR, 3.0, _verdict({}), "per-check") == 0.0


def test_regrade_grades_the_chosen_learners_and_katas_again(
    fake: type[FakeGrader], course: Course, tmp_path: Path
) -> None:
    loaded = load_assignment(_assignment(course, tmp_path))
    archives = discover([course.submissions])
    first = grade_batch(loaded, archives, tmp_path / "out", BatchOptions())
    assert first.graded > 0
    again = grade_batch(loaded, archives, tmp_path / "out", BatchOptions())
    assert (again.graded, again.reused) == (0, first.graded)
    FakeGrader.calls = []
    run = grade_batch(
        loaded,
        archives,
        tmp_path / "out",
        BatchOptions(regrade=frozenset({"correct-2", "join-it"})),
    )
    chosen = len(next(x for x in course.learners if x.name == "correct-2").files)
    join_files = sum(
        "join-it" in x.files and x.damage is None and x.name != "correct-2" for x in course.learners
    )
    assert run.graded == len(FakeGrader.calls) == chosen + join_files
    with pytest.raises(PlanError, match="--regrade 'nobody' is neither a learner"):
        grade_batch(loaded, archives, tmp_path / "out", BatchOptions(regrade=frozenset({"nobody"})))
