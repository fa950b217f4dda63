"""A class of 40, graded for real, as an instructor runs it from start to finish.

Planted submissions, each with a known grade: correct, wrong (one fitted to the public checks,
which only the hidden check catches), untouched starters, partial, missing files, late by known
amounts (from a receipts file and from archive times), three copies of classmates' code with
every name changed and the functions reordered, and one archive for another assignment. The
assignment scores per check, with weights, and has a late policy. Every gradebook cell, every
late penalty, every LMS export row and the similarity ranking are checked against the plan.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from itertools import combinations
from pathlib import Path

import pytest
import yaml

from tests.class_corpus import COPIES, INDEPENDENT, ORIGINALS
from tests.kata_factory import make_kata, make_pack
from trainer.batch.model import GradeStatus
from trainer.batch.publish import load_results
from trainer.cli.app import main
from trainer.coursework.submission import Manifest, ManifestFile, archive_bytes

pytestmark = pytest.mark.slow

ASSIGNMENT = "week-6"
DUE = datetime(2026, 3, 13, 23, 59, tzinfo=timezone.utc)
GRACE = timedelta(hours=1)
LAST_DAY = datetime(2026, 3, 18, 23, 59, 59, tzinfo=timezone.utc)


def _checks(function: str, cases: list[tuple[str, str, str]]) -> str:
    lines = []
    for name, args, want in cases:
        lines += [
            f"def test_{name}(learner):",
            f'    """{function} {name.replace("_", " ")}"""',
            f"    got = learner.{function}({args})",
            f'    assert got == {want}, f"{function}({args}) should be {want}, got {{got!r}}"',
            "",
            "",
        ]
    return "\n".join(lines)


@dataclass(frozen=True)
class KataPlan:
    id: str
    file: str
    points: float
    starter: str
    solution: str
    checks: str
    hidden: str = ""
    wrong: dict[str, str] = field(default_factory=dict)
    """A wrong answer's name -> its text."""
    earns: dict[str, float] = field(default_factory=dict)
    """A wrong answer's name -> the share of the kata's weight it passes."""


ADD_ONE = KataPlan(
    "add-one",
    "add_one.py",
    1.0,
    starter="def add_one(x):\n    return x\n",
    solution="def add_one(x):\n    return x + 1\n",
    checks=_checks("add_one", [("positive", "3", "4"), ("negative", "-5", "-4")]),
    hidden=_checks("add_one", [("zero", "0", "1")]),
    # fitted passes both public checks (weights 1 + 2) and fails the hidden one (weight 1)
    wrong={"fitted": "def add_one(x):\n    return x + 1 if x else 0\n"},
    earns={"fitted": 3 / 4},
)
SQUARE = KataPlan(
    "square-it",
    "square.py",
    2.0,
    starter="def square(x):\n    return x\n",
    solution="def square(x):\n    return x * x\n",
    checks=_checks("square", [("positive", "3", "9"), ("negative", "-2", "4")]),
    wrong={"signed": "def square(x):\n    return x * abs(x)\n"},
    earns={"signed": 1 / 2},
)
WORDS_STARTER = '''"""Word statistics: count, longest, frequencies."""


def count_words(text):
    """How many whitespace-separated words ``text`` has."""
    return None


def longest_word(text):
    """The longest word (the first of equals), or "" for no words."""
    return None


def frequencies(text):
    """Each word, lowercased, with how often it occurs."""
    return None
'''
WORDS = KataPlan(
    "word-stats",
    "words.py",
    3.0,
    starter=WORDS_STARTER,
    solution=INDEPENDENT[0],
    checks=_checks("count_words", [("counts", "'the cat  sat\\n on it'", "5")])
    + _checks("longest_word", [("longest", "'a bbb cc ddd'", "'bbb'")])
    + _checks("frequencies", [("frequencies", "'A b a'", "{'a': 2, 'b': 1}")]),
    hidden=_checks("longest_word", [("of_nothing", "''", "''")]),
)
KATAS = (ADD_ONE, SQUARE, WORDS)
WEIGHTS = {"add-one": {"test_negative": 2.0}}


@dataclass(frozen=True)
class Learner:
    name: str
    files: dict[str, str]
    """Kata id -> ``correct``, a wrong answer's name, ``untouched``, or ``words:<n>``."""
    received: timedelta | None = None
    """When the receipts say it arrived, after the due date (None: the archive's mtime, before)."""
    foreign: bool = False

    def text(self, kata: KataPlan) -> str:
        kind = self.files[kata.id]
        if kind == "correct":
            return kata.solution
        if kind == "untouched":
            return kata.starter
        if kind.startswith("words:"):
            return WORD_ANSWERS[kind.removeprefix("words:")]
        return kata.wrong[kind]


WORD_ANSWERS = {
    **{f"original-{i}": text for i, text in enumerate(ORIGINALS)},
    **{f"copy-{i}": text for i, text in enumerate(COPIES)},
    **{f"independent-{i}": text for i, text in enumerate(INDEPENDENT)},
}
PLANTED = {frozenset({f"s{i:02d}", f"s{i + 3:02d}"}) for i in range(3)}
"""Learners s00-s02 wrote the originals, s03-s05 handed in copies of them."""


def _class() -> list[Learner]:
    learners = []
    words = [f"original-{i}" for i in range(3)] + [f"copy-{i}" for i in range(3)]
    words += [f"independent-{i}" for i in range(8)]
    for i, answer in enumerate(words):  # s00-s13: everything handed in
        square = "correct" if i % 2 == 0 else "signed"
        files = {"add-one": "correct", "square-it": square, "word-stats": f"words:{answer}"}
        learners.append(Learner(f"s{i:02d}", files))
    for i in range(14, 20):  # untouched starters only
        learners.append(
            Learner(f"s{i:02d}", dict.fromkeys(("add-one", "square-it", "word-stats"), "untouched"))
        )
    for i in range(20, 28):  # the fitted answer; no square; the starter for words
        learners.append(Learner(f"s{i:02d}", {"add-one": "fitted", "word-stats": "untouched"}))
    for i in range(28, 36):  # partial: two right, the third missing
        learners.append(Learner(f"s{i:02d}", {"add-one": "correct", "square-it": "correct"}))
    for i in range(36, 39):
        learners.append(Learner(f"s{i:02d}", {"square-it": "signed", "word-stats": "untouched"}))
    learners.append(Learner("s39", {"add-one": "correct"}, foreign=True))
    late = {
        "s00": GRACE - timedelta(minutes=1),  # within the grace: on time
        "s06": GRACE + timedelta(days=1, minutes=1),  # 2 started days after the grace
        "s14": timedelta(days=3),  # 3 days
        "s28": timedelta(days=6),  # after the last day accepted
    }
    return [
        Learner(lr.name, lr.files, late.get(lr.name), lr.foreign) if lr.name in late else lr
        for lr in learners
    ]


LATE_COST = {"s06": (2, 0.2), "s14": (3, 0.3), "s28": (6, 1.0)}
"""Learner -> (days counted late, penalty): 10% a started day after the grace."""


def _expected(learner: Learner, kata: KataPlan) -> tuple[GradeStatus, float]:
    if learner.foreign:
        return GradeStatus.REJECTED, 0.0
    kind = learner.files.get(kata.id)
    if kind is None:
        return GradeStatus.MISSING, 0.0
    if kind == "untouched":
        return GradeStatus.NOT_ATTEMPTED, 0.0
    if kind == "correct" or kind.startswith("words:"):
        return GradeStatus.PASSED, kata.points
    return GradeStatus.FAILED, round(kata.points * kata.earns[kind], 6)


def _archive(learner: Learner, folder: Path) -> Path:
    members: dict[str, bytes] = {}
    files: dict[str, ManifestFile] = {}
    for kata in KATAS:
        if kata.id in learner.files:
            data = learner.text(kata).encode()
            member = f"files/{kata.id}/{kata.file}"
            members[member] = data
            files[kata.id] = ManifestFile(path=member, sha256=hashlib.sha256(data).hexdigest())
    manifest = Manifest(
        learner=learner.name,
        assignment_id="week-5" if learner.foreign else ASSIGNMENT,
        assignment_title="Week 6",
        created_at=DUE - timedelta(days=2),
        trainer_version="0",
        python="3",
        files=files,
    )
    path = folder / f"{learner.name}.zip"
    path.write_bytes(archive_bytes(manifest, members))
    on_time = (DUE - timedelta(hours=5)).timestamp()
    os.utime(path, (on_time, on_time))
    return path


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Learner]]:
    root = tmp_path_factory.mktemp("class")
    pack = make_pack(root / "pack", topics=["basics"])
    for order, kata in enumerate(KATAS):
        folder = make_kata(
            pack,
            kata.id,
            "basics",
            order=order * 10,
            file=kata.file,
            starter=kata.starter,
            solution=kata.solution,
            checks=kata.checks,
            wrong={f"{name}.py": text for name, text in kata.wrong.items()},
            timeout=20,
            limits={"memory_mb": 1024},
        )
        if kata.hidden:
            (folder / "hidden_checks.py").write_text(kata.hidden, encoding="utf-8")
    spec = {
        "schema": 1,
        "id": ASSIGNMENT,
        "title": "Week 6: small functions",
        "packs": ["pack"],
        "katas": ["basics/*"],
        "points": {"default": 1, "square-it": 2, "word-stats": 3},
        "due": DUE.isoformat(),
        "late": {"grace": "1h", "penalty_per_day": 10, "last_day": LAST_DAY.isoformat()},
        "scoring": "per-check",
        "weights": WEIGHTS,
    }
    (root / "assignment.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    learners = _class()
    assert len(learners) == 40
    submissions = root / "submissions"
    submissions.mkdir()
    for learner in learners:
        _archive(learner, submissions)
    receipts = root / "receipts.csv"
    rows = [f"{lr.name}.zip,{(DUE + lr.received).isoformat()}" for lr in learners if lr.received]
    receipts.write_text("archive,received\n" + "\n".join(rows) + "\n", encoding="utf-8")
    out = root / "graded"
    code = main(
        [
            "grade",
            str(root / "assignment.yaml"),
            str(submissions),
            "--out",
            str(out),
            "--receipts",
            str(receipts),
            "--jobs",
            "2",
        ]
    )
    assert code == 0
    return out, learners


def test_every_gradebook_cell_and_late_penalty_is_as_planned(
    graded: tuple[Path, list[Learner]],
) -> None:
    out, learners = graded
    rows = {
        row["learner"]: row
        for row in csv.DictReader(io.StringIO((out / "gradebook.csv").read_text()))
    }
    assert sorted(rows) == sorted(lr.name for lr in learners)
    results = {r.learner: r for r in load_results(out).learners}
    for learner in learners:
        row, result = rows[learner.name], results[learner.name]
        points = 0.0
        for kata in KATAS:
            status, earned = _expected(learner, kata)
            cell = next(k for k in result.katas if k.kata_id == kata.id)
            where = (learner.name, kata.id, cell.summary)
            assert cell.status is status and cell.points == pytest.approx(earned), where
            assert float(row[kata.id]) == pytest.approx(earned), (learner.name, kata.id)
            points += earned
        days, penalty = LATE_COST.get(learner.name, (0, 0.0))
        assert row["late_days"] == str(days), learner.name
        assert float(row["penalty_percent"]) == pytest.approx(penalty * 100), learner.name
        assert float(row["total"]) == pytest.approx(points * (1 - penalty)), learner.name
    assert rows["s06"]["received"] == "2026-03-15T01:00:00Z"
    assert results["s28"].received is not None and results["s28"].received.refused
    assert load_results(out).received_from == "receipts receipts.csv and archive modification times"


def test_the_hidden_check_is_what_catches_the_fitted_answer(
    graded: tuple[Path, list[Learner]],
) -> None:
    out, _ = graded
    result = next(r for r in load_results(out).learners if r.learner == "s20")
    cell = next(k for k in result.katas if k.kata_id == "add-one")
    assert cell.verdict is not None
    failing = [c.name for c in cell.verdict.checks if c.status.value != "passed"]
    assert failing == ["add_one zero"]
    feedback = (out / result.feedback).read_text(encoding="utf-8")
    assert "add_one(0) should be 1, got 0" in feedback
    late = (out / "feedback" / "s06.md").read_text(encoding="utf-8")
    assert "Late by 2 days after the grace period: 20% off" in " ".join(late.split())


def test_the_copies_rank_above_every_independent_pair(
    graded: tuple[Path, list[Learner]], capsys: pytest.CaptureFixture[str]
) -> None:
    out, learners = graded
    assert main(["similarity", str(out)]) == 0
    capsys.readouterr()
    from trainer.batch.similarity import similarity

    report = similarity(out)
    words = next(k for k in report.katas if k.kata_id == "word-stats")
    writers = sorted(
        lr.name for lr in learners if lr.files.get("word-stats", "").startswith("words:")
    )
    assert sorted(words.code) == writers  # the untouched starters were left out
    assert len(words.pairs) == len(list(combinations(writers, 2)))
    scores = {frozenset({p.a.learner, p.b.learner}): p.score for p in words.pairs}
    planted = [scores[pair] for pair in PLANTED]
    others = [score for pair, score in scores.items() if pair not in PLANTED]
    assert min(planted) > max(others), (planted, max(others))
    assert {frozenset({p.a.learner, p.b.learner}) for p in words.pairs[:3]} == PLANTED
    assert (out / "similarity.html").is_file()


def _totals(out: Path) -> dict[str, str]:
    text = (out / "gradebook.csv").read_text(encoding="utf-8")
    return {row["learner"]: row["total"] for row in csv.DictReader(io.StringIO(text))}


def test_canvas_export_fills_every_matched_row_and_lists_the_rest(
    graded: tuple[Path, list[Learner]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, learners = graded
    totals = _totals(out)
    roster = tmp_path / "canvas.csv"
    lines = [
        "Student,ID,SIS User ID,SIS Login ID,Section,Week 6: small functions (4411)",
        "    Points Possible,,,,,6",
    ]
    enrolled = [lr.name for lr in learners if lr.name != "s38"]  # s38 is not on the roster
    lines += [f'"Learner, {n}",{100 + i},U{i},{n},A,' for i, n in enumerate(enrolled)]
    lines.append('"Dropped, Someone",999,U999,dropped,A,4')  # on the roster, never handed in
    roster.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["lms-export", str(out), "--to", "canvas", "--roster", str(roster)]) == 0
    said = " ".join(capsys.readouterr().out.split())
    assert "s38" in said
    rows = list(csv.reader(io.StringIO((out / "canvas-import.csv").read_text(encoding="utf-8"))))
    assert rows[0][-1] == "Week 6: small functions (4411)" and rows[1][-1] == "6"
    filled = {row[3]: row[-1] for row in rows[2:]}
    assert filled == {**{n: totals[n] for n in enrolled}, "dropped": "4"}
    unmatched = list(csv.DictReader(io.StringIO((out / "lms-unmatched.csv").read_text())))
    assert [(u["learner"], u["total"]) for u in unmatched] == [("s38", totals["s38"])]


def test_moodle_export_writes_one_row_per_matched_learner(
    graded: tuple[Path, list[Learner]], tmp_path: Path
) -> None:
    out, learners = graded
    totals = _totals(out)
    roster = tmp_path / "moodle.csv"
    lines = ["First name,Last name,ID number,Institution,Department,Email address"]
    lines += [f"Learner,{lr.name},{lr.name},Uni,CS,{lr.name}@uni.example" for lr in learners]
    roster.write_text("\n".join(lines) + "\n", encoding="utf-8")
    target = tmp_path / "moodle-import.csv"
    code = main(
        ["lms-export", str(out), "--to", "moodle", "--roster", str(roster), "--out", str(target)]
    )
    assert code == 0
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert rows[0] == ["Email address", "Week 6: small functions"]
    assert dict(row[:2] for row in rows[1:]) == {
        f"{lr.name}@uni.example": totals[lr.name] for lr in learners
    }


def test_the_report_shows_every_learner(graded: tuple[Path, list[Learner]]) -> None:
    out, learners = graded
    assert main(["report", str(out)]) == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    for learner in learners:
        assert f">{learner.name}</a>" in page
    assert "lateness from receipts receipts.csv and archive modification times" in page
