"""The attacks on the sandbox, graded by ``katas grade`` as an instructor runs it.

One batch: a learner per attack beside two honest classmates, two gradings at a time, so an
attack runs while another learner's file is being graded. Every attack scores 0 and leaves
nothing behind (:func:`tests.hostile_harness.check_batch`), the ``--out`` folder included;
the honest files pass. Then the refusal: on a platform without read isolation ``katas grade``
grades nothing unless the instructor allows it, and then the gradebook says so.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.hostile_harness import (
    FORGING_ATTACKS,
    SANDBOX_ATTACKS,
    SHORT_TIMEOUT,
    TIMEOUT,
    check_batch,
    make_hostile_class,
)
from trainer.cli.app import main

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


def _grade(group_root: Path, *extra: str) -> list[str]:
    return [
        "grade",
        str(group_root / "assignment.yaml"),
        str(group_root / "submissions"),
        "--out",
        str(group_root / "out"),
        "--jobs",
        "2",
        *extra,
    ]


@pytest.mark.parametrize(
    ("attacks", "timeout"), [(SANDBOX_ATTACKS, TIMEOUT), (FORGING_ATTACKS, SHORT_TIMEOUT)]
)
def test_katas_grade_contains_every_attack(
    tmp_path: Path, attacks: tuple[str, ...], timeout: float
) -> None:
    """``katas grade`` in a process of its own, as an instructor starts it: its command line
    (``--out``) and its working folder are what the attacks look for. The attacks on the
    verdict run against a short timeout, since one of them never answers."""
    group = make_hostile_class(tmp_path, attacks, timeout)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp_path / "scratch")}
    instructor = subprocess.Popen(
        [sys.executable, "-m", "trainer", *_grade(tmp_path)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output, _ = instructor.communicate(timeout=600)
    assert instructor.returncode == 0, output
    check_batch(group, grader_pid=instructor.pid)


def test_katas_grade_refuses_without_read_isolation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_hostile_class(tmp_path, ("read_classmates",))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "scratch"))
    monkeypatch.setenv("KATAS_SANDBOX_SKIP", "namespaces,landlock,cgroups")
    assert main(_grade(tmp_path)) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "would not be read-isolated" in err and "--allow-unisolated" in err
    assert not (tmp_path / "out" / "gradebook.csv").exists()

    assert main(_grade(tmp_path, "--allow-unisolated")) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "Graded without read isolation" in out
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / "gradebook.csv").read_text())))
    assert {row["read_isolation"] for row in rows} == {"none"}
