"""What a batch writes: the gradebook, the feedback (and what it must never show), merges, the
class report. Built from results made here, so no grading is needed."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.kata_factory import make_kata
from trainer.batch.feedback import Redactor, feedback_name, render_feedback
from trainer.batch.gradebook import gradebook_csv
from trainer.batch.merge import merge_batches
from trainer.batch.model import (
    AssignmentInfo,
    BatchResults,
    GradeStatus,
    KataColumn,
    KataResult,
    LearnerResult,
    ShardInfo,
    score,
)
from trainer.batch.publish import load_results, write_outputs
from trainer.batch.report import html_report, summarise, terminal_report
from trainer.errors import MergeError
from trainer.grading.verdict import CheckResult, CheckStatus, Environment, Status, Verdict
from trainer.kata.loader import load_kata

ASSIGNMENT = AssignmentInfo(
    id="week-1",
    title="Week <1>",
    katas=(
        KataColumn(id="alpha", title="Alpha", points=2.0, fingerprint="a"),
        KataColumn(id="beta", title="Beta", points=1.0, fingerprint="b"),
    ),
)
NOT_GRADED = (GradeStatus.MISSING, GradeStatus.REJECTED)


def _verdict(kata_id: str, status: GradeStatus, message: str, name: str) -> Verdict:
    ok = status is GradeStatus.PASSED
    checks = (
        CheckResult(id="test_shape", name="keeps the shape", status=CheckStatus.PASSED),
        CheckResult(
            id="test_value",
            name=name,
            status=CheckStatus.PASSED if ok else CheckStatus.FAILED,
            message="" if ok else message,
        ),
    )
    return Verdict(
        kata_id=kata_id,
        status=Status(status.value),
        summary="all 2 checks passed" if ok else "1 of 2 checks passed",
        checks=checks,
        device="cpu",
        file="x.py",
        environment=Environment(trainer="0", python="3", platform="test"),
    )


def _row(
    learner: str,
    alpha: GradeStatus,
    beta: GradeStatus,
    message: str = "off",
    name: str = "gets the value",
) -> LearnerResult:
    katas = []
    for column, status in zip(ASSIGNMENT.katas, (alpha, beta), strict=True):
        graded = status not in NOT_GRADED
        katas.append(
            KataResult(
                kata_id=column.id,
                status=status,
                points=score(status, column.points),
                max_points=column.points,
                summary="why" if not graded else "the archive holds no file for this kata",
                verdict=_verdict(column.id, status, message, name) if graded else None,
            )
        )
    return LearnerResult(
        learner=learner,
        archive=f"{learner}.zip",
        archive_sha256="0" * 64,
        katas=tuple(katas),
        feedback=f"feedback/{feedback_name(learner, set())}",
    )


P, F, M = GradeStatus.PASSED, GradeStatus.FAILED, GradeStatus.MISSING


def _results(rows: list[LearnerResult], shard: ShardInfo | None = None) -> BatchResults:
    return BatchResults(
        assignment=ASSIGNMENT,
        device="cpu",
        shard=shard,
        roster=tuple(sorted(r.learner for r in rows)),
        learners=tuple(rows),
    )


def test_scoring_is_all_or_nothing() -> None:
    assert score(GradeStatus.PASSED, 2.5) == 2.5
    for status in GradeStatus:
        if status is not GradeStatus.PASSED:
            assert score(status, 2.5) == 0.0


def test_the_gradebook_is_plain_csv_with_a_row_per_learner() -> None:
    rows = [_row("zoe", P, F), _row("Ada", P, P), _row("=HYPERLINK(1)", M, P)]
    text = gradebook_csv(_results(rows))
    assert text.endswith("\r\n")
    table = list(csv.reader(io.StringIO(text)))
    assert table == [
        ["learner", "alpha", "beta", "total"],
        ["'=HYPERLINK(1)", "0", "1", "1"],
        ["Ada", "2", "1", "3"],
        ["zoe", "2", "0", "2"],
    ]


def test_the_redactor_blanks_quotes_of_the_checks_and_hidden_paths(tmp_path: Path) -> None:
    checks = (
        "def test_value(learner):\n"
        '    """gets the value"""\n'
        "    expected = 1234.5678 * learner.scale  # the secret\n"
        '    assert learner.f() == expected, "wrong value"\n'
    )
    root = make_kata(tmp_path / "pack", "alpha", checks=checks)
    kata = load_kata(root, tmp_path / "pack")
    redact = Redactor.for_katas([kata])
    leaked = "look: expected = 1234.5678 * learner.scale  # the secret"
    assert redact(leaked) == "[a line quoting the hidden checks was removed]"
    assert redact(f"cannot open {root / 'checks.py'}") == "cannot open [hidden]/[hidden]"
    assert redact("wrong value: got 3") == "wrong value: got 3"
    assert redact("gets the value") == "gets the value"


def test_feedback_shows_names_messages_and_scores_only(tmp_path: Path) -> None:
    message = "got 3 ```` expected 4\n<img src=x onerror=alert(1)>"
    row = _row("<b>Ada</b>", P, F, message)
    text = render_feedback(row, ASSIGNMENT, Redactor(), "cpu")
    assert text.startswith("# Week \\<1\\>: feedback for \\<b\\>Ada\\</b\\>\n")
    assert "**Score: 2 / 3 points** (1 of 2 katas passed), graded on cpu." in text
    assert "- ✓ keeps the shape (passed)" in text
    assert "- ✗ gets the value (failed)" in text
    assert "  `````text\n  got 3 ```` expected 4\n  <img src=x onerror=alert(1)>\n  `````" in text
    assert "test_value" not in text and "test_shape" not in text


def test_a_rejected_archive_says_why_once() -> None:
    row = _row("bad.zip", GradeStatus.REJECTED, GradeStatus.REJECTED)
    row = row.model_copy(
        update={
            "katas": tuple(k.model_copy(update={"summary": "not a zip"}) for k in row.katas),
            "problems": ("2 archives claim learner 'bad'",),
        }
    )
    text = render_feedback(row, ASSIGNMENT, Redactor(), "cpu")
    assert text.count("not a zip") == 1
    assert "- 2 archives claim learner 'bad'" in text
    assert "| Alpha | ⊗ rejected | 0 / 2 |" in text


def test_feedback_names_are_safe_and_unique() -> None:
    taken: set[str] = set()
    names = [feedback_name(n, taken) for n in ("../etc/passwd", "a b", "a_b", "A_B", "")]
    assert names == ["etc_passwd.md", "a_b.md", "a_b-2.md", "A_B-3.md", "learner.md"]


def _write(folder: Path, results: BatchResults) -> Path:
    feedback = {r.learner: f"feedback for {r.learner}\n" for r in results.learners}
    write_outputs(folder, results, feedback, {}, {})
    return folder


def test_merging_shards_gives_the_whole_batch(tmp_path: Path) -> None:
    rows = [_row("ada", P, P), _row("bob", F, P), _row("cy", M, M)]
    roster = ("ada", "bob", "cy")
    one = _results([rows[1]], ShardInfo(index=1, count=2)).model_copy(update={"roster": roster})
    two = _results([rows[0], rows[2]], ShardInfo(index=2, count=2)).model_copy(
        update={"roster": roster}
    )
    whole = _write(tmp_path / "whole", _results(rows))
    a, b = _write(tmp_path / "a", one), _write(tmp_path / "b", two)
    merged = merge_batches([a, b], tmp_path / "merged")
    assert merged.shard is None and [r.learner for r in merged.learners] == list(roster)
    assert (tmp_path / "merged" / "gradebook.csv").read_bytes() == (
        whole / "gradebook.csv"
    ).read_bytes()
    assert (tmp_path / "merged" / "feedback" / "bob.md").read_text() == "feedback for bob\n"
    assert load_results(tmp_path / "merged") == merged


def test_merges_that_do_not_fit_are_refused(tmp_path: Path) -> None:
    roster = ("ada", "bob")
    base = _results([_row("ada", P, P)], ShardInfo(index=1, count=2)).model_copy(
        update={"roster": roster}
    )
    a = _write(tmp_path / "a", base)
    other = base.model_copy(update={"shard": ShardInfo(index=2, count=2)})

    def refused(second: BatchResults, match: str, name: str) -> None:
        folder = _write(tmp_path / name, second)
        with pytest.raises(MergeError, match=match):
            merge_batches([a, folder], tmp_path / f"out-{name}")

    refused(other, "graded in both", "twice")
    refused(base, "shard 1/2 is given twice", "same")
    refused(
        other.model_copy(update={"learners": (_row("bob", P, P),), "device": "cuda"}),
        "graded on cuda",
        "device",
    )
    changed = ASSIGNMENT.model_copy(update={"katas": ASSIGNMENT.katas[:1]})
    refused(other.model_copy(update={"assignment": changed}), "different katas", "checks")
    refused(other.model_copy(update={"roster": ("ada", "cy")}), "different submissions", "roster")
    with pytest.raises(MergeError, match="shard 2/2 is missing"):
        merge_batches([a], tmp_path / "alone")
    with pytest.raises(MergeError, match="both a shard and the output"):
        merge_batches([a], a)
    with pytest.raises(MergeError, match="no graded batch"):
        merge_batches([tmp_path / "nothing"], tmp_path / "out")


def test_the_report_counts_passes_failed_checks_and_scores() -> None:
    rows = [_row("ada", P, P), _row("bob", F, P), _row("cy", F, M), _row("dee", M, M)]
    report = summarise(_results(rows))
    alpha, beta = report.katas
    assert (alpha.passed, alpha.learners, alpha.statuses[F], alpha.statuses[M]) == (1, 4, 2, 1)
    assert beta.pass_rate == 0.5
    (check,) = report.checks
    assert (check.kata_id, check.name, check.failed, check.ran) == ("alpha", "gets the value", 2, 3)
    assert report.scores == [0, 0, 1, 3]
    assert report.histogram == [("0", 2), ("1", 1), ("2", 0), ("3", 1)]
    assert (report.mean, report.median, report.full_marks) == (1.0, 0.5, 1)


def test_the_html_report_is_self_contained_and_escaped() -> None:
    rows = [_row("ada", P, F), _row("bob", F, F, name="<script>alert(1)</script>")]
    page = html_report(summarise(_results(rows)))
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Week &lt;1&gt;" in page
    assert page.count("<svg") == 3 and "src=" not in page and "href=" not in page


def test_the_terminal_report_fits_eighty_columns() -> None:
    from rich.console import Console

    rows = [_row(f"learner-{i}", P if i % 2 else F, M) for i in range(9)]
    console = Console(width=80, record=True, file=io.StringIO())
    console.print(terminal_report(summarise(_results(rows))))
    text = console.export_text()
    assert all(len(line) <= 80 for line in text.splitlines())
    assert "4/9" in text and "5 failed" in text and "gets the value" in text
