"""A busy machine does not fail a correct solution: the time limit is a budget of CPU time.

Before, a kata's ``timeout`` was wall-clock seconds, and with the machine oversubscribed 4x the
reference solution of fn-multi-input ran out of it: a false reject. Now the budget counts only
the CPU the grading itself used, and the wall clock is a backstop several times wider.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from trainer.cli.app import main
from trainer.kata.catalog import builtin_pack

pytestmark = pytest.mark.slow

HOG = "import time\nend = time.monotonic() + 300\nwhile time.monotonic() < end:\n    pass\n"
"""A busy loop that ends by itself, should the test be killed before it can stop it."""

BUDGET = 6
"""CPU seconds for the grading: about three times what it uses, well under the wall-clock time
it takes on the loaded machine, so only a CPU-time budget lets it pass."""


def test_a_correct_solution_passes_on_a_machine_oversubscribed_4x(
    capsys: pytest.CaptureFixture[str],
) -> None:
    solution = builtin_pack() / "autograd" / "fn-multi-input" / "solution.py"
    # Each busy loop in a session of its own, as separate programs are: the scheduler shares
    # the CPU between sessions first, so loops of one session would barely slow the grading.
    hogs = [
        subprocess.Popen([sys.executable, "-c", HOG], start_new_session=True)
        for _ in range(4 * (os.cpu_count() or 1))
    ]
    try:
        time.sleep(0.5)  # every hog is running before the grading starts
        start = time.monotonic()
        argv = ["check", "fn-multi-input", "--file", str(solution), "--json"]
        code = main([*argv, "--timeout", str(BUDGET)])
        elapsed = time.monotonic() - start
    finally:
        for hog in hogs:
            hog.kill()
        for hog in hogs:
            hog.wait()
    verdict = json.loads(capsys.readouterr().out)
    assert code == 0, verdict["summary"]
    assert verdict["status"] == "passed"
    assert elapsed > BUDGET, f"the machine was not busy: {elapsed:.1f} s"
