"""Assignments on the command line: init --assignment, the rules in hint/solution/list/show,
lateness in check, and submit round-tripping through read_submission."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from tests.assignment_factory import make_assignment, make_course_pack
from tests.fixed_clock import NOON, FixedClock
from tests.kata_factory import SOLUTION
from trainer.cli.app import main
from trainer.coursework.submission import read_submission

DUE = NOON + timedelta(days=1)


def katas(
    capsys: pytest.CaptureFixture[str], *argv: str, clock: FixedClock | None = None
) -> tuple[int, str, str]:
    code = main(list(argv), clock=clock)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def flat(text: str) -> str:
    """Rich wraps lines at the terminal width; compare words, not line breaks."""
    return " ".join(text.split())


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Long temporary paths stay on one line in Rich's output."""
    monkeypatch.setenv("COLUMNS", "400")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def course(tmp_path: Path) -> Path:
    make_course_pack(tmp_path)
    make_assignment(tmp_path, hints=False, due=DUE.isoformat(), points={"default": 1, "grad-b": 4})
    return tmp_path


@pytest.fixture
def ws(
    course: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    clock: FixedClock,
) -> Path:
    """The learner's assignment workspace, and the current folder inside it."""
    root = course / "ws"
    code, out, err = katas(
        capsys,
        "init",
        "--assignment",
        str(course / "assignment.yaml"),
        str(root),
        "--learner",
        "Ada",
        clock=clock,
    )
    assert code == 0, err
    assert "Workspace for Week 1 ready" in out and "3 katas, 6 points" in flat(out)
    assert "hints off" in flat(out) and "solutions off" in flat(out)
    monkeypatch.chdir(root)
    return root


def test_init_writes_the_starters_of_the_assigned_katas_only(ws: Path) -> None:
    files = sorted(p.relative_to(ws).as_posix() for p in ws.glob("*/*/*.py"))
    assert files == [
        "autograd/grad-a/grad_a.py",
        "autograd/grad-b/grad_b.py",
        "tensors/double-it/double_it.py",
    ]


def test_list_sees_only_the_assignment_and_shows_its_due_date(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = katas(capsys, "list", "--json")
    assert code == 0
    assert [row["id"] for row in json.loads(out)] == ["double-it", "grad-a", "grad-b"]
    code, out, _ = katas(capsys, "list")
    assert code == 0
    assert "Week 1 · 3 katas, 6 points · due 2024-05-02 12:00 UTC · hints off" in flat(out)
    assert "view-one" not in out and "param-not-tensor" not in out


def test_katas_outside_the_assignment_are_unknown_here(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = katas(capsys, "show", "view-one")
    assert code == 2 and "no kata with id 'view-one'" in err


def test_hint_and_solution_are_refused_by_the_rules(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = katas(capsys, "hint", "double-it")
    assert code == 2 and out == ""
    assert "hints are off for the assignment 'Week 1'" in err
    code, out, err = katas(capsys, "solution", "double-it", "--yes")
    assert code == 2 and "return 2 * x" not in out
    assert "revealing solutions is off for the assignment 'Week 1'" in err
    _, out, _ = katas(capsys, "show", "double-it")
    assert "Hint 1" not in out


def test_hints_allowed_by_the_assignment_work(
    course: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = make_assignment(course, id="open", hints=True, solutions=True)
    assert katas(capsys, "init", "--assignment", str(path), str(course / "open"))[0] == 0
    monkeypatch.chdir(course / "open")
    code, out, _ = katas(capsys, "hint", "double-it")
    assert code == 0 and "Hint 1/2" in out
    code, out, _ = katas(capsys, "solution", "double-it", "--yes")
    assert code == 0 and "return 2 * x" in out


def test_show_gives_points_and_rules(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = katas(capsys, "show", "grad-b")
    assert code == 0
    assert "Week 1: 4 points · due 2024-05-02 12:00 UTC · hints off · solutions off" in flat(out)


def test_a_pass_after_the_due_date_is_recorded_as_late_not_refused(
    ws: Path, capsys: pytest.CaptureFixture[str], clock: FixedClock
) -> None:
    (ws / "tensors" / "double-it" / "double_it.py").write_text(SOLUTION)
    clock.advance(days=2)
    code, out, _ = katas(capsys, "check", "double-it", clock=clock)
    assert code == 0, out
    assert "Passed after the due date (due 2024-05-02 12:00 UTC): recorded as late." in flat(out)
    _, out, _ = katas(capsys, "list", clock=clock)
    assert "late" in out.split("double-it", 1)[1].splitlines()[0]


def test_submit_round_trips_through_read_submission(
    ws: Path, capsys: pytest.CaptureFixture[str], clock: FixedClock, tmp_path: Path
) -> None:
    (ws / "tensors" / "double-it" / "double_it.py").write_text(SOLUTION)
    (ws / "autograd" / "grad-b" / "grad_b.py").unlink()
    code, out, err = katas(capsys, "submit", clock=clock)
    assert code == 0, err
    archive = ws / "Ada.week-1.katas.zip"
    assert str(archive) in out
    assert "not included (no file): grad-b" in out
    submission = read_submission(archive)
    assert submission.problems == []
    assert submission.manifest.learner == "Ada"
    assert submission.manifest.assignment_id == "week-1"
    assert submission.files["double-it"] == SOLUTION.encode()
    assert sorted(submission.files) == ["double-it", "grad-a"]

    again = tmp_path / "again.zip"
    code, _, _ = katas(capsys, "submit", "--out", str(again), clock=clock)
    assert code == 0 and again.read_bytes() == archive.read_bytes()

    code, _, _ = katas(capsys, "submit", "--learner", "Grace H", "--out", str(again))
    assert code == 0 and read_submission(again).manifest.learner == "Grace H"


def test_submit_outside_an_assignment_workspace_says_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert katas(capsys, "init")[0] == 0
    code, _, err = katas(capsys, "submit")
    assert code == 2 and "katas init --assignment FILE DIR" in err


def test_init_with_a_broken_assignment_names_file_and_line(
    course: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = make_assignment(
        course, text="schema: 1\nid: w\ntitle: W\npacks: [pack]\nkatas: [nope]\n"
    )
    code, _, err = katas(capsys, "init", "--assignment", str(path), str(course / "x"))
    assert code == 2
    assert "assignment.yaml:5: field 'katas[0]': 'nope' matches no kata" in flat(err)
    assert not (course / "x").exists()


def test_init_again_updates_the_same_assignment_and_refuses_another(
    ws: Path, course: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = make_assignment(course, hints=True)
    code, out, _ = katas(capsys, "init", "--assignment", str(path), str(ws))
    assert code == 0 and "updated" in out and "(learner: Ada)" in flat(out)
    assert katas(capsys, "hint", "double-it")[0] == 0
    other = make_assignment(course, id="week-2")
    code, _, err = katas(capsys, "init", "--assignment", str(other), str(ws))
    assert code == 2 and "is the workspace for assignment 'week-1'" in err


def test_an_empty_learner_name_is_refused_before_anything_is_written(
    course: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(course / "assignment.yaml")
    code, _, err = katas(capsys, "init", "--assignment", path, str(course / "w"), "--learner", " ")
    assert code == 2 and "the learner name is empty" in err
    assert not (course / "w").exists()


def test_learner_without_assignment_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = katas(capsys, "init", str(tmp_path / "w"), "--learner", "Ada")
    assert code == 2 and "--learner goes with --assignment" in err
