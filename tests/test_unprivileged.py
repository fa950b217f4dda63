"""The sandbox as a normal user: every sandbox attack, cold, warm and through ``katas grade``.

CI runs as root, where the grader can make cgroups and is root outside its user namespace; a
learner on a laptop runs as themselves, where neither holds. So the attacks run again as uid
65534 through ``setpriv``, with and without user namespaces: each must lose as it does for root,
leaving nothing behind (:meth:`tests.hostile_harness.Stage.check`). Every staged file belongs to
that user, so only the sandbox stands between the attack and it.

The interpreter may live in a folder only root may enter (``/root/.pyenv`` on CI's machine):
the test lets others pass through (``o+x``, no listing) each such folder on the way to the
interpreter, the virtual environment and this checkout, and puts every mode back afterwards.
Run as a normal user, the whole suite is this test already, so it is skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hostile_harness import (
    SANDBOX_ATTACKS,
    Stage,
    check_batch,
    give,
    make_double_kata,
    make_hostile_class,
)
from tests.kata_factory import make_pack
from trainer.grading.layers import Layer
from trainer.grading.verdict import Status

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.geteuid() != 0, reason="already unprivileged: the rest of the suite is this test"
    ),
    pytest.mark.skipif(shutil.which("setpriv") is None, reason="setpriv (util-linux) missing"),
]

NOBODY = 65534
ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 5.0
"""Shorter than the corpus's usual 8 s: escape_the_group spends all of it, three times."""


@pytest.fixture(scope="module")
def passable() -> Iterator[None]:
    """Let a normal user pass through every folder on the way to what a grading runs."""
    needed = {
        Path(sys.executable).resolve(),
        Path(sysconfig.get_paths()["stdlib"]).resolve(),
        Path(sys.prefix).resolve(),
        ROOT,
    }
    changed: dict[Path, int] = {}
    for path in needed:
        for folder in [*reversed(path.parents), path]:
            mode = folder.stat().st_mode
            if stat.S_ISDIR(mode) and not mode & stat.S_IXOTH and folder not in changed:
                changed[folder] = stat.S_IMODE(mode)
                folder.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)
    try:
        yield
    finally:
        for folder, mode in changed.items():
            folder.chmod(mode)


@pytest.fixture
def base(passable: None) -> Iterator[Path]:
    """A folder the normal user owns, outside pytest's own (which only root may enter)."""
    folder = Path(tempfile.mkdtemp(prefix="katas-nobody-", dir="/tmp"))
    folder.chmod(0o755)
    give(folder, NOBODY)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _as_nobody(argv: list[str], home: Path, tmpdir: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "TMPDIR": str(tmpdir),
        "PYTHONPATH": str(ROOT),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    setpriv = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    return subprocess.run(
        [*setpriv, *argv],
        env=env,
        cwd=home,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


PATHS = {"cold": (False, ""), "warm": (True, ""), "warm, no user namespace": (True, "userns")}
"""How each attack is graded: by a cold child, by a warm worker, and by a warm worker on a
platform without user namespaces (so without mount, PID or network namespaces either)."""


def test_the_sandbox_attacks_lose_as_a_normal_user(base: Path) -> None:
    pack = make_pack(base / "pack", topics=["tensors"])
    kata = make_double_kata(pack, TIMEOUT)
    give(pack, NOBODY)
    stages: dict[str, Stage] = {}
    jobs = []
    for path_name, (warm, skip) in PATHS.items():
        for name in SANDBOX_ATTACKS:
            key = f"{name} ({path_name})"
            root = base / "stages" / f"{name}-{len(stages)}"
            stages[key] = stage = Stage.make(name, root, kata, owner=NOBODY)
            jobs.append(
                {
                    "key": key,
                    "answer": str(stage.answer),
                    "scratch": str(stage.scratch),
                    "warm": warm,
                    "skip": skip,
                }
            )
    plan = base / "plan.json"
    plan.write_text(json.dumps({"kata": str(kata.root), "pack": str(pack), "jobs": jobs}))
    done = _as_nobody([sys.executable, "-m", "tests.unprivileged_driver", str(plan)], base, base)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    who, results = lines[0], {line["key"]: line for line in lines[1:]}
    assert who["uid"] == NOBODY
    assert sorted(results) == sorted(stages), done.stderr[-3000:]
    for key, stage in stages.items():
        result = results[key]
        stage.check(
            Status(result["status"]),
            result["summary"],
            result["elapsed"],
            who["pid"],
            tuple(result["messages"]),
        )
        layers = result["sandbox"]
        assert Layer.TRUSTED_INIT in layers, key
        assert Layer.LANDLOCK_READ in layers, key
        if "no user namespace" in key:
            assert Layer.USER_NS not in layers and Layer.PRIVATE_ROOT not in layers, key
        else:
            assert Layer.USER_NS in layers and Layer.PRIVATE_ROOT in layers, key


def test_katas_grade_as_a_normal_user(base: Path) -> None:
    group = make_hostile_class(base / "class", SANDBOX_ATTACKS, TIMEOUT, owner=NOBODY)
    argv = [sys.executable, "-m", "trainer", "grade", str(group.assignment)]
    argv += [str(group.submissions), "--out", str(group.out), "--jobs", "2"]
    done = _as_nobody(argv, base, group.stages[SANDBOX_ATTACKS[0]].scratch)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    check_batch(group)
