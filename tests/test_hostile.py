"""The hostile corpus (tests/hostile/): every attack is graded through both paths and loses.

Every attack runs under the full sandbox, cold and warm; the attacks on the sandbox itself run
again with each layer that depends on the platform taken away (``KATAS_SANDBOX_SKIP``), so each
protection is shown to hold by more than one layer. ``tests/test_hostile_batch.py`` sends the
corpus through ``katas grade``; ``tests/test_unprivileged.py`` repeats it as a normal user.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import socket
import struct
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.kata_factory import make_kata
from trainer.grading import cgroups
from trainer.grading.grader import WALL_FACTOR, Grader, grade
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
    "signal_the_parent": {Status.FAILED, Status.CRASHED},
    "threads_left_running": {Status.FAILED},
    "huge_tensor": {Status.ERROR},
    "memory_bomb": {Status.ERROR},
    "read_checks_echo": {Status.FAILED, Status.ERROR},
    "network_exfiltration": {Status.FAILED},
    "escape_the_group": {Status.TIMEOUT},
    "close_all_fds": {Status.CRASHED},
    "huge_file": {Status.ERROR},
    "keyboard_interrupt": {Status.ERROR},
    "sleep_forever": {Status.TIMEOUT},
    "exec_the_solution": {Status.FAILED},
    "read_classmates": {Status.FAILED},
    "inject_terminal_input": {Status.FAILED},
    "outlive_with_setsid": {Status.FAILED},
    "change_attributes": {Status.FAILED},
    "leave_host_state": {Status.FAILED},
    "shared_memory_forks": {Status.FAILED, Status.ERROR, Status.CRASHED},
}

SANDBOX_ATTACKS = (
    "exec_the_solution",
    "read_classmates",
    "read_checks_echo",
    "inject_terminal_input",
    "outlive_with_setsid",
    "escape_the_group",
    "change_attributes",
    "leave_host_state",
    "shared_memory_forks",
    "edit_the_checks",
    "network_exfiltration",
)
"""The attacks on the sandbox itself, run again on each platform below."""

PLATFORMS = {
    "no-namespaces": "namespaces,cgroups",
    "no-landlock": "landlock",
    "no-seccomp": "seccomp",
    "no-user-namespace": "userns",
}
"""A platform without a layer, emulated: what KATAS_SANDBOX_SKIP leaves out."""

OUTSIDE = ("canary.txt", "answer.py", "scratch/classmate", "scratch/classmate/answer.py")
"""Files outside the grading's own scratch whose attributes an attack tries to change."""

SLEEPERS = {"sleep_forever"}
"""Attacks that use no CPU, so only the wall-clock backstop ends them."""


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


def _attributes(folder: Path, only: tuple[str, ...] = ()) -> dict[str, tuple[object, ...]]:
    """Mode, owner, times, extended attributes and inode flags of every file and folder."""
    seen: dict[str, tuple[object, ...]] = {}
    paths = [folder / name for name in only] if only else [folder, *sorted(folder.rglob("*"))]
    for path in paths:
        info = path.stat()
        flags = b""
        with contextlib.suppress(OSError):
            fd = os.open(path, os.O_RDONLY)
            try:
                flags = fcntl.ioctl(fd, 0x80086601, struct.pack("l", 0))  # FS_IOC_GETFLAGS
            finally:
                os.close(fd)
        xattrs: list[str] = []
        with contextlib.suppress(OSError):
            xattrs = os.listxattr(path)
        seen[str(path)] = (info.st_mode, info.st_uid, info.st_gid, info.st_mtime_ns, flags, xattrs)
    return seen


def _ipc_keys() -> set[int]:
    keys = set()
    for kind in ("shm", "msg", "sem"):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/sysvipc/{kind}").read_text().splitlines()[1:]:
                keys.add(int(line.split()[0]))
    return keys


def _our_cgroups() -> list[Path]:
    mine = f"{cgroups.PREFIX}{os.getpid()}-"
    return [p for h in cgroups.hierarchies() for p in h.folder.glob(f"{mine}*")]


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
    classmate = scratch / "classmate" / "answer.py"  # another learner's file in the batch tree
    classmate.parent.mkdir()
    classmate.write_text("# a classmate's answer\n" + SOLUTION, encoding="utf-8")
    canary = tmp_path / "canary.txt"
    canary.write_text("untouched", encoding="utf-8")
    marker = f"{time.monotonic_ns() % 10**9}.5"
    source = (CORPUS / f"{name}.py").read_text(encoding="utf-8")
    source = source.replace("__CANARY__", str(canary)).replace("__MARKER__", marker)
    source = source.replace("__MARKER_INT__", str(_marker_key(marker)))
    path = tmp_path / "answer.py"
    path.write_text(source, encoding="utf-8")
    return path, canary, marker


def _marker_key(marker: str) -> int:
    return int(marker.replace(".", "")) % 2**30 + 1


def _assert_contained(
    name: str,
    verdict: Verdict,
    elapsed: float,
    kata: Kata,
    canary: Path,
    marker: str,
    before: dict[str, str],
    attributes: tuple[dict[str, tuple[object, ...]], dict[str, tuple[object, ...]], str],
) -> None:
    assert verdict.status is not Status.PASSED, f"{name} passed: {verdict.summary}"
    assert verdict.status in EXPECTED[name], f"{name}: {verdict.status.value}: {verdict.summary}"
    if name in MESSAGES:
        assert MESSAGES[name] in verdict.summary, verdict.summary
    bound = TIMEOUT * WALL_FACTOR if name in SLEEPERS else TIMEOUT
    assert elapsed < bound + 3, f"{name} took {elapsed:.1f} s"
    assert canary.read_text(encoding="utf-8") == "untouched"
    assert _fingerprint(kata.root) == before, f"{name} changed the kata's files"
    assert _attributes(kata.root) == attributes[0], f"{name} changed the kata's attributes"
    outside = _attributes(canary.parent, OUTSIDE)
    assert outside == attributes[1], f"{name} changed attributes outside"
    assert _stray_processes(marker, canary.parent / "scratch") == []
    assert _marker_key(marker) not in _ipc_keys(), f"{name} left a SysV IPC object"
    assert socket.gethostname() == attributes[2], f"{name} renamed the host"
    assert _our_cgroups() == [], f"{name} left a cgroup behind"


def _before(
    kata: Kata, canary: Path
) -> tuple[
    dict[str, str], tuple[dict[str, tuple[object, ...]], dict[str, tuple[object, ...]], str]
]:
    return _fingerprint(kata.root), (
        _attributes(kata.root),
        _attributes(canary.parent, OUTSIDE),
        socket.gethostname(),
    )


@pytest.mark.parametrize("name", ATTACKS)
def test_attack_through_the_cold_path(
    name: str, kata: Kata, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, canary, marker = _attack(name, tmp_path, monkeypatch)
    before, attributes = _before(kata, canary)
    start = time.monotonic()
    verdict = grade(kata, path)
    elapsed = time.monotonic() - start
    _assert_contained(name, verdict, elapsed, kata, canary, marker, before, attributes)


@pytest.mark.parametrize("name", ATTACKS)
def test_attack_through_a_warm_worker(
    name: str, kata: Kata, warm: Grader, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, canary, marker = _attack(name, tmp_path, monkeypatch)
    workers = warm.worker_pids
    before, attributes = _before(kata, canary)
    start = time.monotonic()
    verdict = warm.grade(kata, path)
    elapsed = time.monotonic() - start
    _assert_contained(name, verdict, elapsed, kata, canary, marker, before, attributes)
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
    path, canary, marker = _attack(name, tmp_path, monkeypatch)
    before, attributes = _before(kata, canary)
    start = time.monotonic()
    verdict = warm.grade(kata, path)
    elapsed = time.monotonic() - start
    _assert_contained(name, verdict, elapsed, kata, canary, marker, before, attributes)
    layers = verdict.environment.sandbox
    if platform == "no-namespaces":
        assert "own mount namespace" not in layers
    if platform == "no-landlock":
        assert "reads only Python and the scratch (landlock)" not in layers


def test_every_layer_holds_under_the_full_sandbox(kata: Kata, warm: Grader, tmp_path: Path) -> None:
    """On this machine (CI's): what the tests above rely on is really in force."""
    right = tmp_path / "right.py"
    right.write_text(SOLUTION, encoding="utf-8")
    verdict = warm.grade(kata, right)
    assert verdict.passed
    missing = set(verdict.environment.sandbox_missing)
    assert not missing, missing
