"""Learners' copies (``katas handout``) and hidden checks, as an instructor and a learner use them.

The instructor's pack holds solutions, wrong answers and a hidden check; the copy must hold none
of them (walked file by file, names and bytes), and still serve ``init --assignment``, ``list``,
``check`` and ``submit``. The hidden check runs in ``katas grade`` only: a file written to pass
the public check scores 0 there, and the learner was told a check was waiting.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.assignment_factory import make_assignment, make_course_pack
from tests.kata_factory import SOLUTION, make_kata
from trainer.cli.app import main
from trainer.errors import HandoutError
from trainer.kata.catalog import Catalog
from trainer.kata.handout import KEPT_NAMES, find_leaks, handout

HIDDEN = '''def test_doubles_negatives(learner):
    """doubles a negative number"""
    assert learner.double(-2) == -4, f"double(-2) should be -4, got {learner.double(-2)!r}"


def test_doubles_zero(learner):
    """doubles zero"""
    assert learner.double(0) == 0
'''

FITTED = """def double(x):
    return 6 if x == 3 else x
"""
"""Written to pass the public check alone: only the hidden ones catch it."""

WRONG = {"adds.py": "def double(x):\n    return x + 2\n"}


def katas(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, " ".join(captured.out.split()), " ".join(captured.err.split())


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "400")


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """The instructor's course: a pack whose double-it kata has wrong answers, a data file
    its public checks could use, and two hidden checks."""
    pack = make_course_pack(tmp_path)
    root = make_kata(
        pack, "double-it", "tensors", order=0, file="double_it.py", wrong=WRONG, timeout=20
    )
    (root / "hidden_checks.py").write_text(HIDDEN, encoding="utf-8")
    (root / "cases.json").write_text("[3]\n", encoding="utf-8")
    make_assignment(tmp_path, text=None)
    text = (tmp_path / "assignment.yaml").read_text(encoding="utf-8")
    (tmp_path / "assignment.yaml").write_text("# week one, for the learners\n" + text)
    return tmp_path


def _walk(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def test_the_copy_holds_no_solution_no_wrong_answer_and_no_hidden_check(
    course: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "handout"
    code, said, err = katas(capsys, "handout", str(course / "assignment.yaml"), str(out))
    assert code == 0, err
    assert "4 katas" in said and "2 hidden checks" in said
    files = _walk(out)
    assert not [f for f in files if set(f.split("/")) & KEPT_NAMES]
    secrets = [course / "pack" / "tensors" / "double-it" / "hidden_checks.py"]
    secrets += list((course / "pack").rglob("solution.py"))
    secrets += list((course / "pack").rglob("wrong/*.py"))
    assert len(secrets) == 6
    contents = {p.read_bytes().strip() for p in out.rglob("*") if p.is_file()}
    for secret in secrets:
        assert secret.read_bytes().strip() not in contents, secret
    assert find_leaks(out, list(Catalog.load([course / "pack"]))) == []
    # what learners need is there: text, starters, public checks, the kata's other files
    kata = out / "pack" / "tensors" / "double-it"
    assert sorted(p.name for p in kata.iterdir()) == [
        "cases.json",
        "checks.py",
        "kata.yaml",
        "starter.py",
    ]
    copy = Catalog.load([out / "pack"])
    assert not copy.problems and len(copy) == 4
    assert copy.get("double-it").hidden_check_count == 2
    assert copy.get("grad-a").hidden_check_count == 0
    assert all(k.learner_copy for k in copy)
    # only the packs entry of the assignment changed; the comment stayed
    assignment = (out / "assignment.yaml").read_text(encoding="utf-8")
    assert assignment.startswith("# week one, for the learners\n")
    assert "packs: [./pack]" in assignment


def test_a_learner_works_from_the_copy_and_the_hidden_checks_wait_for_the_instructor(
    course: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "handout"
    assert katas(capsys, "handout", str(course / "assignment.yaml"), str(out))[0] == 0
    ws = tmp_path / "ws"
    code, said, err = katas(
        capsys, "init", "--assignment", str(out / "assignment.yaml"), str(ws), "--learner", "Ada"
    )
    assert code == 0, err
    monkeypatch.chdir(ws)
    code, said, _ = katas(capsys, "list")
    assert code == 0 and "double-it" in said and "grad-b" in said

    (ws / "tensors" / "double-it" / "double_it.py").write_text(FITTED, encoding="utf-8")
    code, said, err = katas(capsys, "check", "double-it")
    assert code == 0, said + err  # the public check passes
    assert "2 more checks run when your instructor grades" in said

    code, _, err = katas(capsys, "solution", "double-it", "--yes")
    assert code == 2 and "your instructor kept the reference solution of double-it" in err

    (ws / "autograd" / "grad-a" / "grad_a.py").write_text(SOLUTION, encoding="utf-8")
    code, said, err = katas(capsys, "submit", "--out", str(tmp_path / "submissions"))
    assert code == 0, err

    # the instructor grades against their own assignment: the hidden checks run there
    graded = tmp_path / "graded"
    code, said, err = katas(
        capsys,
        "grade",
        str(course / "assignment.yaml"),
        str(tmp_path / "submissions"),
        "--out",
        str(graded),
        "--jobs",
        "1",
    )
    assert code == 0, said + err
    rows = list(csv.DictReader(io.StringIO((graded / "gradebook.csv").read_text())))
    assert rows == [
        {"learner": "Ada", "double-it": "0", "grad-a": "1", "grad-b": "0", "total": "1"}
    ]
    feedback = (graded / "feedback" / "Ada.md").read_text(encoding="utf-8")
    assert "doubles a negative number" in feedback and "should be -4, got -2" in feedback
    # grad-b was handed in untouched: not attempted, not failed
    assert "not attempted" in feedback.split("grad-b", 1)[1].split("\n##", 1)[0]


def test_validate_refuses_a_learners_copy(
    course: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "pack-copy"
    assert katas(capsys, "handout", str(course / "pack"), str(out))[0] == 0
    code, said, _ = katas(capsys, "validate", str(out / "tensors" / "double-it"))
    assert code == 1 and "a learner's copy (katas handout)" in said


def test_a_copy_that_would_leak_is_not_written(course: Path, tmp_path: Path) -> None:
    kata = course / "pack" / "tensors" / "double-it"
    (kata / "reference_notes.py").write_bytes((kata / "solution.py").read_bytes())
    out = tmp_path / "leaky"
    with pytest.raises(
        HandoutError, match=r"reference_notes\.py: the same bytes as [a-z-]+/solution\.py"
    ):
        handout(course / "pack", out)
    assert not out.exists()


def test_a_copy_is_not_handed_out_again_nor_written_over_a_folder_in_use(
    course: Path, tmp_path: Path
) -> None:
    out = tmp_path / "copy"
    handout(course / "pack", out)
    with pytest.raises(HandoutError, match="already a learner's copy"):
        handout(out, tmp_path / "again")
    with pytest.raises(HandoutError, match="is not an empty folder"):
        handout(course / "pack", out)
    with pytest.raises(HandoutError, match="inside the pack"):
        handout(course / "pack", course / "pack" / "copy")
