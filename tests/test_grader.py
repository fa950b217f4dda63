"""The warm Grader: restarts what dies, lets the newest save win, and keeps torch out of the
parent. (Every verdict status is also checked through it, in test_grading.py.)"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.kata_factory import make_kata
from trainer.errors import GradingCancelled
from trainer.grading.grader import Grader
from trainer.grading.verdict import Status
from trainer.kata.loader import load_kata
from trainer.kata.model import Kata

SOLUTION = "def double(x):\n    return 2 * x\n"


@pytest.fixture(scope="module")
def kata(tmp_path_factory: pytest.TempPathFactory) -> Kata:
    pack = tmp_path_factory.mktemp("pack")
    return load_kata(make_kata(pack, "double-it", timeout=20), pack)


@pytest.fixture(scope="module")
def grader() -> Iterator[Grader]:
    with Grader(1) as grader:
        grader.wait_ready()
        yield grader


def _write(tmp_path: Path, name: str, source: str) -> Path:
    path = tmp_path / name
    path.write_text(source, encoding="utf-8")
    return path


def test_a_killed_worker_is_restarted_by_the_next_grading(
    grader: Grader, kata: Kata, tmp_path: Path
) -> None:
    (pid,) = grader.worker_pids
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.1)
    verdict = grader.grade(kata, _write(tmp_path, "a.py", SOLUTION))
    assert verdict.status is Status.PASSED
    grader.wait_ready()
    assert grader.worker_pids and grader.worker_pids != [pid]
    assert grader.grade(kata, _write(tmp_path, "b.py", SOLUTION)).passed


def test_learner_code_cannot_kill_the_worker(grader: Grader, kata: Kata, tmp_path: Path) -> None:
    grader.wait_ready()
    before = grader.worker_pids
    source = (
        "import os, signal\n"
        "for target in (os.getppid(), 0, -1):\n"
        "    try:\n"
        "        os.kill(target, signal.SIGKILL)\n"
        "    except OSError:\n"
        "        pass\n"
        "def double(x):\n"
        "    return x\n"
    )
    verdict = grader.grade(kata, _write(tmp_path, "evil.py", source))
    assert verdict.status is not Status.PASSED
    assert grader.worker_pids == before
    assert grader.grade(kata, _write(tmp_path, "good.py", SOLUTION)).passed


def test_the_newest_save_wins(grader: Grader, kata: Kata, tmp_path: Path) -> None:
    slow = _write(tmp_path, "slow.py", "import time\ntime.sleep(60)\n" + SOLUTION)
    outcome: list[object] = []

    def first() -> None:
        try:
            outcome.append(grader.grade(kata, slow))
        except GradingCancelled as exc:
            outcome.append(exc)

    thread = threading.Thread(target=first)
    thread.start()
    time.sleep(1.0)
    start = time.monotonic()
    verdict = grader.grade(kata, _write(tmp_path, "fast.py", SOLUTION), supersede=True)
    thread.join(timeout=30)
    assert verdict.passed
    assert time.monotonic() - start < 10
    assert len(outcome) == 1 and isinstance(outcome[0], GradingCancelled)


def test_cold_and_warm_give_the_same_verdicts(kata: Kata, tmp_path: Path) -> None:
    wrong = _write(tmp_path, "wrong.py", "def double(x):\n    return x\n")
    right = _write(tmp_path, "right.py", SOLUTION)
    with Grader(1, warm=False) as cold, Grader(1) as warm:
        warm.wait_ready()
        for path in (wrong, right):
            a, b = cold.grade(kata, path), warm.grade(kata, path)
            assert (a.status, a.summary) == (b.status, b.summary)
            assert [(c.name, c.status, c.message) for c in a.checks] == [
                (c.name, c.status, c.message) for c in b.checks
            ]


def test_the_grading_parent_never_imports_torch(kata: Kata, tmp_path: Path) -> None:
    path = _write(tmp_path, "answer.py", SOLUTION)
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from trainer.grading.grader import Grader\n"
        "from trainer.kata.loader import load_kata\n"
        f"kata = load_kata(Path({str(kata.root)!r}), Path({str(kata.pack)!r}))\n"
        "with Grader(1) as grader:\n"
        "    grader.wait_ready()\n"
        f"    verdict = grader.grade(kata, Path({str(path)!r}))\n"
        "print(json.dumps([verdict.status.value, 'torch' in sys.modules]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=180, check=True
    )
    assert json.loads(result.stdout) == ["passed", False]


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.parametrize("moment", ["warming up", "grading"])
def test_a_worker_whose_trainer_was_killed_exits_at_once(
    moment: str, kata: Kata, tmp_path: Path
) -> None:
    """kill -9 of the process holding the Grader ends its worker and any grading in flight."""
    looping = _write(tmp_path, "loop.py", "while True:\n    pass\n")
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from trainer.grading.grader import Grader\n"
        "from trainer.kata.loader import load_kata\n"
        f"kata = load_kata(Path({str(kata.root)!r}), Path({str(kata.pack)!r}))\n"
        "grader = Grader(1)\n"
        "grader.start()\n"
        f"if {moment == 'grading'!r}:\n"
        "    grader.wait_ready()\n"
        "    import threading\n"
        f"    threading.Thread(target=grader.grade, args=(kata, Path({str(looping)!r}))).start()\n"
        "    time.sleep(1.5)\n"
        "print(*grader.worker_pids, flush=True)\n"
        "time.sleep(600)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None
    (worker,) = (int(pid) for pid in holder.stdout.readline().split())
    found = subprocess.run(["pgrep", "-P", str(worker)], capture_output=True, text=True)
    children = [int(pid) for pid in found.stdout.split()]
    if moment == "grading":
        assert children, "no grading child was running"
    holder.kill()
    holder.wait()
    deadline = time.monotonic() + 3
    while not all(map(_gone, [worker, *children])) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(worker), f"the worker outlived its trainer while {moment}"
    assert all(map(_gone, children)), "a grading child outlived its worker"
