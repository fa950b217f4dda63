"""The hostile corpus (tests/hostile/): every attack is graded through both paths and loses.

Every attack runs under the full sandbox, cold and warm; the attacks on the sandbox itself run
again with each layer that depends on the platform taken away (``KATAS_SANDBOX_SKIP``), so each
protection is shown to hold by more than one layer. ``tests/test_hostile_batch.py`` sends them
through ``katas grade``; ``tests/test_unprivileged.py`` repeats all three as a normal user. What
"contained" means is :meth:`tests.hostile_harness.Stage.check`.
"""

from __future__ import annotations

import ctypes
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hostile_harness import (
    ATTACKS,
    EXPECTED,
    PLATFORMS,
    SANDBOX_ATTACKS,
    SHORT_TIMEOUT,
    SLEEPER_TIMEOUT,
    SLEEPERS,
    SOLUTION,
    TO_THE_LIMIT,
    Stage,
    make_double_kata,
    marker_key,
)
from trainer.grading.grader import Grader, grade
from trainer.grading.layers import Layer
from trainer.kata.model import Kata


def test_the_corpus_is_complete() -> None:
    assert len(ATTACKS) >= 20
    assert sorted(EXPECTED) == ATTACKS


@pytest.fixture(scope="module")
def katas(tmp_path_factory: pytest.TempPathFactory) -> tuple[Kata, Kata, Kata]:
    """The hostile kata, the same with a short timeout for attacks only a limit ends, and a
    shorter one still for those that sleep until the wall-clock backstop."""
    return (
        make_double_kata(tmp_path_factory.mktemp("pack")),
        make_double_kata(tmp_path_factory.mktemp("short"), SHORT_TIMEOUT),
        make_double_kata(tmp_path_factory.mktemp("sleepers"), SLEEPER_TIMEOUT),
    )


@pytest.fixture
def kata(katas: tuple[Kata, Kata, Kata], name: str) -> Kata:
    if name in SLEEPERS:
        return katas[2]
    return katas[1] if name in TO_THE_LIMIT else katas[0]


@pytest.fixture(scope="module")
def warm() -> Iterator[Grader]:
    with Grader(1) as grader:
        grader.wait_ready()
        yield grader


def _stage(name: str, kata: Kata, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Stage:
    stage = Stage.make(name, tmp_path / "stage", kata)
    monkeypatch.setattr(tempfile, "tempdir", str(stage.scratch))  # the grader's work folders
    return stage


@pytest.mark.parametrize("name", ATTACKS)
def test_attack_through_the_cold_path(
    name: str, kata: Kata, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stage = _stage(name, kata, tmp_path, monkeypatch)
    start = time.monotonic()
    verdict = grade(kata, stage.answer)
    stage.check(
        verdict.status,
        verdict.summary,
        time.monotonic() - start,
        messages=tuple(c.message for c in verdict.checks),
    )


@pytest.mark.parametrize("name", ATTACKS)
def test_attack_through_a_warm_worker(
    name: str, kata: Kata, warm: Grader, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stage = _stage(name, kata, tmp_path, monkeypatch)
    workers = warm.worker_pids
    start = time.monotonic()
    verdict = warm.grade(kata, stage.answer)
    warm.settle()
    stage.check(
        verdict.status,
        verdict.summary,
        time.monotonic() - start,
        messages=tuple(c.message for c in verdict.checks),
        armed=warm.armed_paths,
    )
    assert warm.worker_pids == workers, f"{name} took the warm worker down"
    right = tmp_path / "right.py"
    right.write_text(SOLUTION, encoding="utf-8")
    assert warm.grade(kata, right).passed


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
@pytest.mark.parametrize("name", SANDBOX_ATTACKS)
def test_sandbox_attack_on_a_platform_without_a_layer(
    name: str,
    platform: str,
    kata: Kata,
    warm: Grader,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KATAS_SANDBOX_SKIP", PLATFORMS[platform])
    stage = _stage(name, kata, tmp_path, monkeypatch)
    start = time.monotonic()
    verdict = warm.grade(kata, stage.answer)
    warm.settle()
    stage.check(
        verdict.status,
        verdict.summary,
        time.monotonic() - start,
        messages=tuple(c.message for c in verdict.checks),
        armed=warm.armed_paths,
    )
    layers = verdict.environment.sandbox
    gone = {
        "no-namespaces": Layer.MOUNT_NS,
        "no-landlock": Layer.LANDLOCK_READ,
        "no-seccomp": Layer.SECCOMP,
        "no-user-namespace": Layer.USER_NS,
    }[platform]
    assert gone not in layers and gone in verdict.environment.sandbox_missing
    assert Layer.TRUSTED_INIT in layers


NAKED = "namespaces,userns,root,landlock,seccomp,cgroups"
"""Every layer a platform can lack, left out: all that remains is the trusted init."""

INLINE_ATTACKS = {
    "sysv_segment": (
        "import ctypes\n"
        "ctypes.CDLL(None).shmget(__MARKER_INT__, 4096, 0o1666)\n"
        "def double(x):\n    return x\n"
    ),
    "chmod_canary": "import os\nos.chmod('__CANARY__', 0o777)\ndef double(x):\n    return x\n",
}
"""Harms kept small enough to undo (the corpus would rename the host and chattr the tree)."""


def _remove_segment(key: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    shmid = libc.shmget(key, 0, 0)
    if shmid >= 0:
        libc.shmctl(shmid, 0, None)  # IPC_RMID


HARMS = {
    "exec_the_solution": "exec_the_solution passed",
    "read_classmates": "read_classmates passed",
    "network_exfiltration": "reached a server on loopback",
    "edit_the_checks": "changed the (kata files|canary)",
    "sysv_segment": "left a SysV IPC object",
    "chmod_canary": "changed the attributes",
}
"""What the stage's check says of each attack when nothing stops it."""


@pytest.mark.parametrize("name", sorted(HARMS))
def test_the_attacks_are_real_without_the_sandbox(
    name: str, warm: Grader, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With every optional layer off, each attack does its harm and the stage's check says so:
    the checks above can fail, and a pass there is the sandbox's doing."""
    kata = make_double_kata(tmp_path / "pack")
    monkeypatch.setenv("KATAS_SANDBOX_SKIP", NAKED)
    stage = Stage.make(name, tmp_path / "stage", kata, source=INLINE_ATTACKS.get(name))
    monkeypatch.setattr(tempfile, "tempdir", str(stage.scratch))
    try:
        verdict = grade(kata, stage.answer)
        with pytest.raises(AssertionError, match=HARMS[name]):
            stage.check(verdict.status, verdict.summary, 0.0, armed=warm.armed_paths)
    finally:
        _remove_segment(marker_key(stage.marker))


def test_every_layer_holds_under_the_full_sandbox(
    katas: tuple[Kata, Kata], warm: Grader, tmp_path: Path
) -> None:
    """On this machine (CI's): what the tests above rely on is really in force."""
    right = tmp_path / "right.py"
    right.write_text(SOLUTION, encoding="utf-8")
    verdict = warm.grade(katas[0], right)
    assert verdict.passed
    missing = set(verdict.environment.sandbox_missing)
    assert not missing, missing
