"""End to end: a class of 30 archives graded by the real ``katas grade``, killed and resumed,
sharded and merged, reported. Every gradebook cell is checked against the recipe's score.
"""

from __future__ import annotations

import csv
import io
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.batch_factory import BY_ID, KATAS, Course, make_class
from trainer.batch.model import BatchResults, GradeStatus
from trainer.batch.publish import load_results
from trainer.cli.app import main

pytestmark = pytest.mark.slow

TIMEOUT = "2"
"""Seconds per file: the hostile sleeper costs this much, the honest files a fraction."""
KILL_AFTER = 12
"""Journal entries to wait for before the SIGKILL: well inside the 118 gradings."""
ROOT = Path(__file__).resolve().parent.parent


def _grade(course: Course, out: Path, *extra: str, jobs: int = 2) -> list[str]:
    return [
        "grade",
        str(course.assignment),
        str(course.submissions),
        "--out",
        str(out),
        "--jobs",
        str(jobs),
        "--timeout",
        TIMEOUT,
        *extra,
    ]


def _katas(*args: str) -> subprocess.Popen[str]:
    """``katas ARGS`` as a separate process, as an instructor or a CI job runs it."""
    return subprocess.Popen(
        [sys.executable, "-m", "trainer", *args],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _journal_entries(out: Path) -> int:
    try:
        lines = (out / "journal.jsonl").read_bytes().splitlines()
    except FileNotFoundError:
        return 0
    return sum(b'"kind":"result"' in line for line in lines if line.endswith(b"}"))


def _gradebook(out: Path) -> dict[str, dict[str, float]]:
    text = (out / "gradebook.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    return {row["learner"]: {k: float(v) for k, v in row.items() if k != "learner"} for row in rows}


@dataclass(frozen=True)
class Graded:
    course: Course
    out: Path
    killed_at: int
    """Journal entries on disk when the first run was killed."""
    resume_output: str


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Course:
    return make_class(tmp_path_factory.mktemp("class"))


@pytest.fixture(scope="module")
def graded(course: Course) -> Graded:
    """A real ``katas grade`` process, SIGKILLed mid-batch, then the same command again."""
    out = course.root / "full"
    first = _katas(*_grade(course, out))
    deadline = time.monotonic() + 90
    while _journal_entries(out) < KILL_AFTER:
        assert first.poll() is None, first.communicate()[1]
        assert time.monotonic() < deadline, "the batch never got going"
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=10)
    assert not (out / "gradebook.csv").exists(), "killed too late: the batch had finished"
    killed_at = _journal_entries(out)
    resumed = _katas(*_grade(course, out))
    stdout, stderr = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, stderr
    return Graded(course, out, killed_at, stdout)


def test_every_gradebook_cell_has_the_expected_score(graded: Graded) -> None:
    expected = graded.course.expected_rows()
    got = _gradebook(graded.out)
    assert sorted(got) == sorted(expected)
    header = (graded.out / "gradebook.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "learner," + ",".join(k.id for k in KATAS) + ",total"
    for learner, cells in expected.items():
        for column, score in cells.items():
            assert got[learner][column] == pytest.approx(score), f"{learner} · {column}"


def test_the_resumed_run_reused_the_killed_runs_verdicts(graded: Graded) -> None:
    assert graded.killed_at >= KILL_AFTER
    reused = int(graded.resume_output.split("reused ")[1].split()[0])
    assert reused >= graded.killed_at
    graded_now = int(graded.resume_output.split("Graded ")[1].split()[0])
    assert reused + graded_now == 118


def test_running_again_grades_nothing_and_writes_the_same_gradebook(
    graded: Graded, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (graded.out / "gradebook.csv").read_bytes()
    assert main(_grade(graded.course, graded.out)) == 0
    assert "Graded 0 files, reused 118" in capsys.readouterr().out
    assert (graded.out / "gradebook.csv").read_bytes() == before


def test_results_hold_every_verdict_and_never_trust_the_manifest(graded: Graded) -> None:
    results = load_results(graded.out)
    rows = {row.learner: row for row in results.learners}
    assert len(rows) == 30
    graded_files = [k for row in results.learners for k in row.katas if k.verdict is not None]
    assert len(graded_files) == 118
    liar = {k.kata_id: k for k in rows["wrong-3"].katas}
    assert all(k.claimed == "passed" and k.status is GradeStatus.FAILED for k in liar.values())
    hostile = {
        row.learner: next(k for k in row.katas if k.kata_id == "double-it")
        for row in results.learners
        if row.learner.startswith("hostile-")
    }
    assert hostile["hostile-sleep_forever"].status is GradeStatus.TIMEOUT
    assert hostile["hostile-os_exit_at_import"].status is GradeStatus.CRASHED
    assert all(k.status is not GradeStatus.PASSED and k.points == 0 for k in hostile.values())
    for name in ("garbage.zip", "sneaky.zip", "foreign"):
        assert {k.status for k in rows[name].katas} == {GradeStatus.REJECTED}
    assert "not 'week-5'" in rows["foreign"].katas[0].summary
    twins = [rows["twin~twin-a.zip"], rows["Twin~twin-b.zip"]]
    assert all("2 archives claim learner" in row.problems[0] for row in twins)
    assert {k.status for k in rows["empty-0"].katas} == {GradeStatus.MISSING}


def test_feedback_shows_names_and_messages_never_the_hidden_checks(graded: Graded) -> None:
    course = graded.course
    notes = sorted((graded.out / "feedback").glob("*.md"))
    assert len(notes) == 30
    secrets = ["SECRET-CHECK-SOURCE", "checks.py", "def test_", "test_adds_0", str(course.pack)]
    secrets += [kata.solution.strip().splitlines()[-1].strip() for kata in KATAS]
    for note in notes:
        text = note.read_text(encoding="utf-8")
        for secret in secrets:
            assert secret not in text, f"{note.name} shows {secret!r}"
    wrong = (graded.out / "feedback" / "wrong-1.md").read_text(encoding="utf-8")
    assert "adds case 0" in wrong and "add_one(3) should be 4, got 3" in wrong
    assert "**Score: 3.5 / 5.5 points**" in wrong
    sleeper = (graded.out / "feedback" / "hostile-sleep_forever.md").read_text(encoding="utf-8")
    assert "timed out" in sleeper and f"{TIMEOUT} s" in sleeper
    garbage = (graded.out / "feedback" / "garbage.zip.md").read_text(encoding="utf-8")
    assert "not a zip archive" in garbage


def _comparable(results: BatchResults) -> list[tuple[object, ...]]:
    """Everything but timings: who, which kata, status, points, each check's outcome."""
    return [
        (
            row.learner,
            row.feedback,
            row.problems,
            k.kata_id,
            k.status,
            k.points,
            k.summary,
            tuple((c.name, c.status, c.message) for c in (k.verdict.checks if k.verdict else ())),
        )
        for row in results.learners
        for k in row.katas
    ]


def test_two_merged_shards_equal_one_unsharded_run(
    graded: Graded, capsys: pytest.CaptureFixture[str]
) -> None:
    course, root = graded.course, graded.course.root
    shards = [root / "shard-1", root / "shard-2"]
    # Two CI jobs at once, one grading at a time each (this machine has two cores).
    jobs = [
        _katas(*_grade(course, folder, "--shard", f"{index}/2", jobs=1))
        for index, folder in enumerate(shards, start=1)
    ]
    for job in jobs:
        _, stderr = job.communicate(timeout=120)
        assert job.returncode == 0, stderr
    sizes = [len(load_results(folder).learners) for folder in shards]
    assert sum(sizes) == 30 and min(sizes) > 0
    merged = root / "merged"
    assert main(["grade", "--merge", *map(str, shards), "--out", str(merged)]) == 0
    capsys.readouterr()
    full = graded.out
    assert (merged / "gradebook.csv").read_bytes() == (full / "gradebook.csv").read_bytes()
    assert _comparable(load_results(merged)) == _comparable(load_results(full))
    for note in sorted((full / "feedback").glob("*.md")):
        assert (merged / "feedback" / note.name).read_bytes() == note.read_bytes(), note.name
    assert main(["grade", "--merge", str(shards[0]), "--out", str(root / "half")]) == 2
    assert "shard 2/2 is missing" in capsys.readouterr().err


def test_report_summarises_the_batch(graded: Graded, capsys: pytest.CaptureFixture[str]) -> None:
    html = graded.course.root / "report.html"
    assert main(["report", str(graded.out), "--html", str(html)]) == 0
    terminal = capsys.readouterr().out
    page = html.read_text(encoding="utf-8")
    learners = graded.course.learners
    for kata in KATAS:
        passed = sum(learner.expected(kata.id) > 0 for learner in learners)
        assert f"{passed}/30" in terminal and f"{passed}/30" in page, kata.id
    assert page.count("<svg") == 3
    assert "<script" not in page and "src=" not in page
    links = re.findall(r'href="([^"]*)"', page)  # each learner's feedback page, relative
    assert len(links) == 30 and all(not link.startswith(("/", "http")) for link in links), links
    assert all((html.parent / link).is_file() for link in links), links
    scores = sorted(learner.expected_total for learner in learners)
    total = sum(k.points for k in BY_ID.values())
    assert f"mean {round(sum(scores) / 30, 2):g} / {total:g}" in page
