"""``katas lms-export``: a graded batch into a Canvas roster copy or a Moodle grade import.

Built from results made here (no grading). Every cell of every file written is checked: the
totals where a learner matched, the LMS's own rows and columns as they were, the unmatched
learners with their reasons, and the formula guard.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

import pytest

from trainer.batch.feedback import feedback_name
from trainer.batch.lms import UNMATCHED, Unmatched, canvas_export, moodle_export, read_roster
from trainer.batch.model import (
    AssignmentInfo,
    BatchResults,
    GradeStatus,
    KataColumn,
    KataResult,
    LearnerResult,
    Received,
)
from trainer.batch.publish import load_results, write_outputs
from trainer.cli.app import main
from trainer.errors import RosterError

ASSIGNMENT = AssignmentInfo(
    id="week-1",
    title="Week 1: tensors",
    katas=(
        KataColumn(id="alpha", title="Alpha", points=2.0, fingerprint="a"),
        KataColumn(id="beta", title="Beta", points=1.5, fingerprint="b"),
    ),
)
P, F, M = GradeStatus.PASSED, GradeStatus.FAILED, GradeStatus.MISSING
HYPERLINK = '=HYPERLINK("https://evil.example","x")'


def _row(
    learner: str, alpha: GradeStatus, beta: GradeStatus, penalty: float = 0.0
) -> LearnerResult:
    katas = tuple(
        KataResult(
            kata_id=column.id,
            status=status,
            points=column.points if status is P else 0.0,
            max_points=column.points,
            summary=status.value,
        )
        for column, status in zip(ASSIGNMENT.katas, (alpha, beta), strict=True)
    )
    received = (
        Received(at=datetime(2025, 3, 2, tzinfo=timezone.utc), source="receipts", penalty=penalty)
        if penalty
        else None
    )
    return LearnerResult(
        learner=learner,
        archive=f"{learner}.zip",
        archive_sha256="0" * 64,
        katas=katas,
        feedback=f"feedback/{feedback_name(learner, set())}",
        received=received,
    )


LEARNERS = (
    _row("Ada.L@Example.org ", P, P, penalty=0.25),  # 2.625: Canvas SIS Login ID, Moodle e-mail
    _row("10042", P, F),  # 2: Canvas SIS User ID, Moodle ID number
    _row("grace  hopper", F, P),  # 1.5: by name only ("Hopper, Grace" in Canvas)
    _row("Alan Turing", F, F),  # two students of that name: ambiguous
    _row("mallory", P, P),  # not on the roster
    _row(HYPERLINK, M, M),  # an archive's name that is a formula, not on the roster
)
RESULTS = BatchResults(
    assignment=ASSIGNMENT,
    device="cpu",
    roster=tuple(sorted(r.learner for r in LEARNERS)),
    learners=LEARNERS,
)

CANVAS = [
    ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Week 1: tensors (501)",
     "Week 2 (502)", "Current Score"],
    ["    Points Possible", "", "", "", "", "3.50", "10.00", "(read only)"],
    ["", "", "", "", "", "Manual Posting", "", ""],
    ["Lovelace, Ada", "1", "10041", "ada.l@example.org", "A", "", "7", "70"],
    ["Babbage, Bob", "2", "10042", "bob.b", "A", "1", "-2", ""],
    ["Hopper, Grace", "3", "10043", "ghopper", "B", "", "8.5", ""],
    ["Turing, Alan", "4", "10044", "aturing", "B", "", "", ""],
    ["Turing, Alan", "5", "10045", "aturing2", "B", "", "", ""],
    ["Noether, Emmy", "6", "10046", "enoether", "=1+1", "0.5", "9", "90"],
]  # fmt: skip
MOODLE = [
    ["First name", "Last name", "ID number", "Institution", "Department", "Email address",
     "Assignment: Week 1 (Real)", "Course total (Real)"],
    ["Ada", "Lovelace", "S1", "Uni", "CS", "ada.l@example.org", "-", "50"],
    ["Bob", "Babbage", "10042", "Uni", "CS", "bob@example.org", "-", "40"],
    ["Grace", "Hopper", "S3", "Uni", "CS", "grace@example.org", "-", "30"],
    ["Alan", "Turing", "S4", "Uni", "CS", "alan1@example.org", "-", "20"],
    ["Alan", "Turing", "S5", "Uni", "CS", "alan2@example.org", "-", "10"],
    ["Emmy", "Noether", "S6", "Uni", "CS", "emmy@example.org", "-", "0"],
]  # fmt: skip
AMBIGUOUS = "ambiguous: matches roster rows 7, 8 by Student"
AMBIGUOUS_MOODLE = "ambiguous: matches roster rows 5, 6 by First name Last name"


def _table(text: str) -> list[list[str]]:
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    return list(csv.reader(io.StringIO(text, newline="")))


def _csv(rows: list[list[str]], bom: bool = True) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return ("\ufeff" if bom else "").encode() + buffer.getvalue().encode("utf-8")


def _unmatched(unmatched: Sequence[Unmatched]) -> list[tuple[str, str]]:
    return [(u.learner, u.reason) for u in unmatched]


def test_canvas_fills_the_assignments_column_and_keeps_everything_else() -> None:
    result = canvas_export(RESULTS, CANVAS)
    assert (result.lms, result.column, result.new_column) == (
        "canvas",
        "Week 1: tensors (501)",
        False,
    )
    expected = [list(row) for row in CANVAS]
    expected[3][5] = "2.625"  # Ada, by SIS Login ID, after the late penalty
    expected[4][5] = "2"  # Bob, by SIS User ID: the old 1 replaced
    expected[5][5] = "1.5"  # Grace, by "First Last" against "Last, First"
    expected[8][4] = "'=1+1"  # a roster cell that would run as a formula is guarded ...
    assert _table(result.text) == expected  # ... "-2", "0.5" and every other cell kept
    assert [(m.learner, m.row, m.key) for m in result.matched] == [
        ("Ada.L@Example.org ", 4, "SIS Login ID"),
        ("10042", 5, "SIS User ID"),
        ("grace  hopper", 6, "Student"),
    ]
    assert _unmatched(result.unmatched) == [
        (HYPERLINK, "not on the roster"),
        ("Alan Turing", AMBIGUOUS),
        ("mallory", "not on the roster"),
    ]
    assert [u.total for u in result.unmatched] == [0.0, 0.0, 3.5]
    assert result.ungraded == ("Turing, Alan", "Turing, Alan", "Noether, Emmy")
    assert result.notes == ()


def test_canvas_without_the_column_gets_a_new_one_that_becomes_an_assignment() -> None:
    roster = [row[:5] + row[6:7] for row in CANVAS]
    roster[0][5] = "Week 1: tensors, part 2 (503)"  # starts like the title, is not it
    result = canvas_export(RESULTS, roster)
    assert (result.column, result.new_column) == ("Week 1: tensors", True)
    expected = [[*row, ""] for row in roster]
    expected[8][4] = "'=1+1"
    expected[0][6] = "Week 1: tensors"
    expected[1][6] = "3.5"  # Points Possible: the assignment's total
    expected[3][6], expected[4][6], expected[5][6] = "2.625", "2", "1.5"
    assert _table(result.text) == expected


def test_canvas_column_by_name_notes_other_points_and_refuses_an_unknown_one() -> None:
    result = canvas_export(RESULTS, CANVAS, column="Week 2 (502)")
    table = _table(result.text)
    assert [row[6] for row in table[3:6]] == ["2.625", "2", "1.5"]
    assert [row[6] for row in table[6:]] == ["", "", "9"]  # no graded learner: kept, not zeroed
    assert [row[5] for row in table[3:]] == ["", "1", "", "", "", "0.5"]
    assert result.notes == (
        "'Week 2 (502)' is out of 10.00 points in Canvas, the assignment out of 3.5: the totals "
        "are written as they are",
    )
    with pytest.raises(RosterError) as caught:
        canvas_export(RESULTS, CANVAS, column="Week 3")
    assert str(caught.value) == (
        "the roster has no column 'Week 3'; its assignment columns: "
        "'Week 1: tensors (501)', 'Week 2 (502)'"
    )
    with pytest.raises(RosterError, match="a Canvas student column, not an assignment"):
        canvas_export(RESULTS, CANVAS, column="SIS Login ID")
    with pytest.raises(RosterError, match="use --to moodle"):
        canvas_export(RESULTS, MOODLE)


def test_two_learners_on_one_row_are_both_unmatched() -> None:
    rows = (_row("bob.b", P, P), _row("Bob Babbage", F, P))
    results = RESULTS.model_copy(update={"learners": rows, "roster": ("Bob Babbage", "bob.b")})
    result = canvas_export(results, CANVAS)
    reason = "roster row 5 is matched by several learners: Bob Babbage, bob.b"
    assert _unmatched(result.unmatched) == [("Bob Babbage", reason), ("bob.b", reason)]
    assert result.matched == ()
    assert _table(result.text)[4][5] == "1"


def test_moodle_gets_its_import_file_of_identifier_and_total() -> None:
    result = moodle_export(RESULTS, MOODLE)
    assert (result.lms, result.column) == ("moodle", "Week 1: tensors")
    assert _table(result.text) == [
        ["Email address", "Week 1: tensors"],
        ["ada.l@example.org", "2.625"],
        ["bob@example.org", "2"],
        ["grace@example.org", "1.5"],
    ]
    assert [(m.learner, m.key) for m in result.matched] == [
        ("Ada.L@Example.org ", "Email address"),
        ("10042", "ID number"),
        ("grace  hopper", "First name Last name"),
    ]
    assert _unmatched(result.unmatched) == [
        (HYPERLINK, "not on the roster"),
        ("Alan Turing", AMBIGUOUS_MOODLE),
        ("mallory", "not on the roster"),
    ]
    assert result.ungraded == ("Alan Turing", "Alan Turing", "Emmy Noether")


def test_moodle_without_email_uses_the_id_number_and_needs_one() -> None:
    roster = [row[:5] + row[6:] for row in MOODLE]
    roster[3][2] = ""  # Grace has no ID number
    result = moodle_export(RESULTS, roster, column="Assignment: Week 1")
    assert _table(result.text) == [
        ["ID number", "Assignment: Week 1"],
        ["10042", "2"],  # Ada's "S1" is no learner id; Grace's row has no ID number
    ]
    assert ("grace  hopper", "roster row 4 has no ID number, which Moodle's import needs") in (
        _unmatched(result.unmatched)
    )
    with pytest.raises(RosterError, match="use --to canvas"):
        moodle_export(RESULTS, CANVAS)


def test_a_roster_is_read_as_utf8_with_or_without_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_bytes(_csv([["Student", "ID"], ["Gödel, Kurt", "1"]]))
    assert read_roster(path) == [["Student", "ID"], ["Gödel, Kurt", "1"]]
    path.write_bytes("Student,ID\r\n".encode("latin-1") + "Gödel,1\r\n".encode("latin-1"))
    with pytest.raises(RosterError, match="not UTF-8"):
        read_roster(path)
    path.write_bytes(b"")
    with pytest.raises(RosterError, match="empty"):
        read_roster(path)


@pytest.fixture
def batch(tmp_path: Path) -> Path:
    folder = tmp_path / "graded"
    write_outputs(folder, RESULTS, {r.learner: "feedback" for r in LEARNERS}, {}, {})
    assert load_results(folder) == RESULTS
    (tmp_path / "canvas.csv").write_bytes(_csv(CANVAS))
    (tmp_path / "moodle.csv").write_bytes(_csv(MOODLE, bom=False))
    return folder


def _katas(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, " ".join(captured.out.split()), " ".join(captured.err.split())


def test_the_command_writes_both_files_and_lists_every_unmatched_learner(
    batch: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    roster = batch.parent / "canvas.csv"
    code, out, err = _katas(
        capsys, "lms-export", str(batch), "--to", "canvas", "--roster", str(roster)
    )
    assert (code, err) == (0, "")
    matched = "(1 by SIS Login ID, 1 by SIS User ID, 1 by Student)."
    assert f"Matched 3 of 6 learners to the Canvas roster {matched}" in out
    for learner, total, reason in [
        (HYPERLINK, "0", "not on the roster"),
        ("Alan Turing", "0", AMBIGUOUS),
        ("mallory", "3.5", "not on the roster"),
    ]:
        assert f"{learner} ({total} points): {reason}" in out
    assert "3 roster students have no graded learner" in out
    assert "3 learners not matched" in out and "Turing, Alan; Turing, Alan; Noether, Emmy" in out
    assert "'Week 1: tensors (501)'" in out
    written = (batch / "canvas-import.csv").read_bytes()
    assert _table(written.decode("utf-8"))[3][5] == "2.625"
    assert _table((batch / UNMATCHED).read_bytes().decode("utf-8")) == [
        ["learner", "total", "reason"],
        ["'" + HYPERLINK, "0", "not on the roster"],
        ["Alan Turing", "0", AMBIGUOUS],
        ["mallory", "3.5", "not on the roster"],
    ]
    target = batch.parent / "to-moodle.csv"
    code, out, _ = _katas(
        capsys,
        "lms-export",
        str(batch),
        "--to",
        "moodle",
        "--roster",
        str(batch.parent / "moodle.csv"),
        "--out",
        str(target),
    )
    assert code == 0 and "Matched 3 of 6 learners to the Moodle roster" in out
    assert "map the first column to the user field" in out
    assert _table(target.read_bytes().decode("utf-8"))[0] == ["Email address", "Week 1: tensors"]
    assert not (batch / "moodle-import.csv").exists()


def test_the_command_says_when_canvas_makes_a_new_assignment(
    batch: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    roster = batch.parent / "canvas.csv"
    roster.write_bytes(_csv([row[:5] for row in CANVAS]))
    code, out, _ = _katas(
        capsys, "lms-export", str(batch), "--to", "canvas", "--roster", str(roster)
    )
    assert code == 0
    assert "(a new column 'Week 1: tensors')" in out
    assert "Canvas creates a new assignment from the new column" in out


def test_usage_errors_exit_2(batch: Path, capsys: pytest.CaptureFixture[str]) -> None:
    roster = str(batch.parent / "canvas.csv")
    missing = str(batch.parent / "nope.csv")
    code, _, err = _katas(capsys, "lms-export", str(batch), "--to", "canvas", "--roster", missing)
    assert code == 2 and err.startswith("error: cannot read the roster")
    code, _, err = _katas(
        capsys, "lms-export", str(batch), "--to", "canvas", "--roster", roster, "--column", "Quiz"
    )
    assert code == 2 and "no column 'Quiz'; its assignment columns: 'Week 1: tensors (501)'" in err
    assert not (batch / "canvas-import.csv").exists() and not (batch / UNMATCHED).exists()
    code, _, err = _katas(
        capsys, "lms-export", str(batch.parent), "--to", "canvas", "--roster", roster
    )
    assert code == 2 and "no graded batch here" in err
    with pytest.raises(SystemExit) as exited:
        main(["lms-export", str(batch), "--roster", roster])
    assert exited.value.code == 2
    with pytest.raises(SystemExit):
        main(["lms-export", str(batch), "--to", "blackboard", "--roster", roster])
