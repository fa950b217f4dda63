"""The hostile corpus (tests/hostile/): every attack is graded through both paths and loses."""

from __future__ import annotations

import hashlib
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.kata_factory import make_kata
from trainer.grading.grader import Grader, grade
from trainer.grading.verdict import Status, Verdict
from trainer.kata.loader import load_kata
from trainer.kata.model import Kata

CORPUS = Path(__file__).resolve().parent / "hostile"
ATTACKS = sorted(p.stem for p in CORPUS.glob("*.py"))
TIMEOUT = 8.0
MEMORY_MB = 1024
"""Lower than the default 4096 MB so the memory bombs hit it fast on a loaded machine."""

CHECKS = '''
import torch

from trainer.checks import assert_close


def test_doubles(learner, device):
    """doubles a tensor"""
    torch.manual_seed(0)
    x = torch.randn(3, 5, device=device)
    assert_close(learner.double(x), 2 * x, what="double(x)", inputs="x of shape (3, 5)")


def test_doubles_a_column(learner, device):
    """doubles a column vector"""
    torch.manual_seed(1)
    x = torch.randn(4, 1, dtype=torch.float64, device=device)
    assert_close(learner.double(x), 2 * x, what="double(x)", inputs="x of shape (4, 1)")
'''

SOLUTION = "def double(x):\n    return 2 * x\n"

EXPECTED: dict[str, set[Status]] = {
    "exit_zero_at_import": {Status.ERROR},
    "os_exit_at_import": {Status.CRASHED},
    "os_exit_in_check": {Status.CRASHED},
    "atexit_trick": {Status.FAILED},
    "patch_checks_api": {Status.ERROR},
    "patch_torch_compare": {Status.ERROR},
    "patch_pytest_runtest": {Status.ERROR},
    "patch_plugin_reporting": {Status.ERROR},
    "forge_channel_all_fds": {Status.ERROR, Status.CRASHED},
    "forge_channel_in_order": {Status.ERROR, Status.CRASHED},
    "tensor_subclass": {Status.FAILED},
    "fake_equal_object": {Status.FAILED},
    "edit_the_checks": {Status.FAILED},
    "fork_bomb": {Status.TIMEOUT},
    "infinite_recursion": {Status.FAILED},
    "deep_c_recursion": {Status.CRASHED, Status.ERROR, Status.TIMEOUT},
    "stdout_flood": {Status.FAILED},
    "signal_the_parent": {Status.FAILED},
    "threads_left_running": {Status.FAILED},
    "huge_tensor": {Status.ERROR},
    "memory_bomb": {Status.ERROR},
    "read_checks_echo": {Status.FAILED},
    "network_exfiltration": {Status.FAILED},
    "escape_the_group": {Status.TIMEOUT},
    "close_all_fds": {Status.CRASHED},
    "huge_file": {Status.ERROR},
    "keyboard_interrupt": {Status.ERROR},
    "sleep_forever": {Status.TIMEOUT},
}


MESSAGES = {
    "huge_tensor": f"exceeded the memory limit of {MEMORY_MB} MB",
    "memory_bomb": f"exceeded the memory limit of {MEMORY_MB} MB",
    "huge_file": "wrote a file larger than the limit of 64 MB",
    "patch_torch_compare": "which grading relies on",
    "forge_channel_all_fds": "tampered",
}
"""What the verdict must say, where the attack has a message of its own."""


def test_the_corpus_is_complete() -> None:
    assert len(ATTACKS) >= 20
    assert sorted(EXPECTED) == ATTACKS


@pytest.fixture(scope="module")
def kata(tmp_path_factory: pytest.TempPathFactory) -> Kata:
    pack = tmp_path_factory.mktemp("pack")
    root = make_kata(
        pack,
        "double-it",
        checks=CHECKS,
        solution=SOLUTION,
        timeout=TIMEOUT,
        limits={"memory_mb": MEMORY_MB},
    )
    return load_kata(root, pack)


@pytest.fixture(scope="module")
def warm() -> Iterator[Grader]:
    with Grader(1) as grader:
        grader.wait_ready()
        yield grader


def _fingerprint(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _stray_processes(marker: str, scratch: Path) -> list[str]:
    """Processes a grading left behind: anything still running with the attack's marker, or
    in this test's scratch folders."""
    time.sleep(0.3)
    stray = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            cwd = str((entry / "cwd").readlink()) if state not in "ZX" else ""
        except OSError:
            continue
        if state in "ZX":
            continue
        if marker in cmdline or cwd.startswith(str(scratch)):
            stray.append(f"{entry.name}: {cmdline.strip()} (cwd {cwd})")
    return stray


def _attack(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path, str]:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # the grader's workdirs go here
    canary = tmp_path / "canary.txt"
    canary.write_text("untouched", encoding="utf-8")
    marker = f"{time.monotonic_ns() % 10**9}.5"
    source = (CORPUS / f"{name}.py").read_text(encoding="utf-8")
    source = source.replace("__CANARY__", str(canary)).replace("__MARKER__", marker)
    path = tmp_path / "answer.py"
    path.write_text(source, encoding="utf-8")
    return path, canary, marker


def _assert_contained(
    name: str,
    verdict: Verdict,
    elapsed: float,
    kata: Kata,
    canary: Path,
    marker: str,
    before: dict[str, str],
) -> None:
    assert verdict.status is not Status.PASSED, f"{name} passed: {verdict.summary}"
    assert verdict.status in EXPECTED[name], f"{name}: {verdict.status.value}: {verdict.summary}"
    if name in MESSAGES:
        assert MESSAGES[name] in verdict.summary, verdict.summary
    assert elapsed < TIMEOUT + 2, f"{name} took {elapsed:.1f} s"
    assert canary.read_text(encoding="utf-8") == "untouched"
    assert _fingerprint(kata.root) == before, f"{name} changed the kata's files"
    assert _stray_processes(marker, canary.parent / "scratch") == []


@pytest.mark.parametrize("name", ATTACKS)
def test_attack_through_the_cold_path(
    name: str, kata: Kata, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, canary, marker = _attack(name, tmp_path, monkeypatch)
    before = _fingerprint(kata.root)
    start = time.monotonic()
    verdict = grade(kata, path)
    _assert_contained(name, verdict, time.monotonic() - start, kata, canary, marker, before)


@pytest.mark.parametrize("name", ATTACKS)
def test_attack_through_a_warm_worker(
    name: str, kata: Kata, warm: Grader, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, canary, marker = _attack(name, tmp_path, monkeypatch)
    workers = warm.worker_pids
    before = _fingerprint(kata.root)
    start = time.monotonic()
    verdict = warm.grade(kata, path)
    _assert_contained(name, verdict, time.monotonic() - start, kata, canary, marker, before)
    assert warm.worker_pids == workers, f"{name} took the warm worker down"
    right = tmp_path / "right.py"
    right.write_text(SOLUTION, encoding="utf-8")
    assert warm.grade(kata, right).passed
