"""Nothing outlives a grader killed with -9: its grading dies with it, and the next grader
removes the cgroups it could not."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.hostile_harness import graders_cgroups, make_double_kata, stray_processes
from trainer.grading import cgroups
from trainer.grading.grader import Grader

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not cgroups.hierarchies(), reason="no cgroup hierarchy here"),
]

ROOT = Path(__file__).resolve().parent.parent

GRADER = """
import sys
from pathlib import Path
from trainer.grading.grader import grade
from trainer.kata.loader import load_kata

kata = load_kata(Path(sys.argv[1]), Path(sys.argv[2]))
grade(kata, Path(sys.argv[3]))
"""


def _wait_for(condition: Callable[[], bool], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_grader_killed_with_9_leaves_nothing_once_the_next_one_starts(tmp_path: Path) -> None:
    kata = make_double_kata(tmp_path / "pack", timeout=60)
    marker = f"{time.monotonic_ns() % 10**9}.7"
    answer = tmp_path / "answer.py"
    answer.write_text(
        f"import subprocess\nsubprocess.Popen(['sleep', '{marker}'], start_new_session=True)\n"
        "while True:\n    pass\n"
    )
    grader = subprocess.Popen(
        [sys.executable, "-c", GRADER, str(kata.root), str(kata.pack), str(answer)],
        env={**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp_path)},
    )
    try:
        _wait_for(lambda: bool(graders_cgroups(grader.pid)))
        _wait_for(lambda: any(marker in p for p in stray_processes(marker, tmp_path)))
    finally:
        grader.kill()
        grader.wait()
    _wait_for(lambda: not stray_processes(marker, tmp_path), 10)  # died with their grader
    left = graders_cgroups(grader.pid)
    assert left, "the killed grader removed its cgroups after all: nothing left to sweep"
    swept = Grader(1, warm=False).swept
    assert set(left) <= set(swept)
    assert graders_cgroups(grader.pid) == []
