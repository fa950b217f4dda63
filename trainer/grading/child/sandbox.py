"""Containment for a grading child, applied in the child before any learner code runs.

What it does, each step best effort and independent, so a platform without one feature still
gets the others (``status()`` says which held):

- **Resource limits** (``setrlimit``, soft = hard so they cannot be raised again): address
  space for data (memory), CPU seconds, size of any file written, number of processes, open
  files, no core dumps.
- **Namespaces** (Linux, root or unprivileged user namespaces): a new network namespace with no
  interfaces (no network), and a new PID namespace whose init is the grading process, so it can
  neither see nor signal anything outside, and everything it started dies with it.
- **Landlock** (Linux ≥ 5.13, unprivileged): writes anywhere but the scratch directory are
  refused, TCP bind/connect are refused (ABI ≥ 4), and signals to processes outside the
  sandbox are refused (ABI ≥ 6). Reading stays allowed (see the threat model in the README).
- **Processes**: ``RLIMIT_NPROC`` for an ordinary user; as root (which that limit ignores), a
  ``pids`` cgroup of the grader's own, removed after the run. (The child cannot simply become
  ``nobody``: the interpreter's own files are often readable only by their owner.)
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import resource
import signal
from dataclasses import dataclass, field
from pathlib import Path

from trainer.grading.limits import Limits
from trainer.grading.protocol import pids_cgroup

MB = 1024 * 1024

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

_SYS_LANDLOCK_CREATE_RULESET = 444
_SYS_LANDLOCK_ADD_RULE = 445
_SYS_LANDLOCK_RESTRICT_SELF = 446
_LANDLOCK_CREATE_RULESET_VERSION = 1
_LANDLOCK_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38

# Filesystem rights Landlock can take away; reading and executing stay allowed everywhere.
_FS_WRITE_V1 = (
    (1 << 1)  # WRITE_FILE
    | (1 << 4)  # REMOVE_DIR
    | (1 << 5)  # REMOVE_FILE
    | (1 << 6)  # MAKE_CHAR
    | (1 << 7)  # MAKE_DIR
    | (1 << 8)  # MAKE_REG
    | (1 << 9)  # MAKE_SOCK
    | (1 << 10)  # MAKE_FIFO
    | (1 << 11)  # MAKE_BLOCK
    | (1 << 12)  # MAKE_SYM
)
_FS_REFER = 1 << 13  # ABI 2
_FS_TRUNCATE = 1 << 14  # ABI 3
_NET_TCP = (1 << 0) | (1 << 1)  # ABI 4: BIND_TCP, CONNECT_TCP
_SCOPE_ABSTRACT_UNIX = 1 << 0  # ABI 6
_SCOPE_SIGNAL = 1 << 1  # ABI 6


class _RulesetAttr(ctypes.Structure):
    _fields_ = (
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    )


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = (("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32))


@dataclass
class Containment:
    """Which protections are in force in this child; reported in the verdict's environment."""

    applied: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def note(self, name: str, ok: bool) -> None:
        (self.applied if ok else self.missing).append(name)


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)


def _count_processes(uid: int) -> int:
    count = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if entry.stat().st_uid == uid:
                    count += 1
    return count


def apply_limits(limits: Limits, timeout: float, box: Containment) -> None:
    """Set every resource limit; the process limit counts the user's existing processes."""

    def limit(kind: int, value: int, name: str) -> None:
        try:
            _soft, hard = resource.getrlimit(kind)
            if hard != resource.RLIM_INFINITY:
                value = min(value, hard)
            resource.setrlimit(kind, (value, value))
            box.note(name, True)
        except (ValueError, OSError):
            box.note(name, False)

    limit(resource.RLIMIT_CORE, 0, "no core dumps")
    limit(resource.RLIMIT_DATA, limits.memory_mb * MB, f"memory {limits.memory_mb} MB")
    cpu = limits.cpu_seconds or int(timeout) + 5
    limit(resource.RLIMIT_CPU, cpu, f"cpu {cpu} s")
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an oversized write fails (EFBIG), no kill
    limit(resource.RLIMIT_FSIZE, limits.file_mb * MB, f"files {limits.file_mb} MB")
    limit(resource.RLIMIT_NOFILE, limits.open_files, f"open files {limits.open_files}")
    if os.getuid() != 0:  # the kernel never applies RLIMIT_NPROC to root
        existing = _count_processes(os.getuid())
        limit(resource.RLIMIT_NPROC, existing + limits.processes, f"processes {limits.processes}")


def enter_namespaces(box: Containment) -> bool:
    """A new network and PID namespace; True if the PID one holds (the caller must fork)."""
    libc = _libc()
    flags = CLONE_NEWNET | CLONE_NEWPID
    if os.getuid() != 0:
        flags |= CLONE_NEWUSER
    if libc.unshare(flags) == 0:
        box.note("no network (namespace)", True)
        box.note("own PID namespace", True)
        return True
    if libc.unshare(CLONE_NEWNET | (CLONE_NEWUSER if os.getuid() else 0)) == 0:
        box.note("no network (namespace)", True)
    else:
        box.note("no network (namespace)", False)
    box.note("own PID namespace", False)
    return False


def run_as_init() -> None:
    """Fork the process that becomes PID 1 of the new namespace; the parent relays its exit.

    Returns in the child (which goes on to grade); never returns in the parent, which waits and
    then ends the same way the child did, so the supervisor sees the child's real exit.
    """
    pid = os.fork()
    if pid == 0:
        return
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except ChildProcessError:
            os._exit(70)
        except InterruptedError:
            continue
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
        os._exit(128 - code)
    os._exit(code)


def landlock(workdir: Path, box: Containment) -> None:
    """Allow writes only beneath ``workdir`` (and to /dev/null); scope signals and sockets."""
    libc = _libc()
    abi = libc.syscall(_SYS_LANDLOCK_CREATE_RULESET, None, 0, _LANDLOCK_CREATE_RULESET_VERSION)
    if abi < 1:
        box.note("writes only in the scratch folder (landlock)", False)
        return
    fs = _FS_WRITE_V1 | (_FS_REFER if abi >= 2 else 0) | (_FS_TRUNCATE if abi >= 3 else 0)
    attr = _RulesetAttr(
        handled_access_fs=fs,
        handled_access_net=_NET_TCP if abi >= 4 else 0,
        scoped=(_SCOPE_SIGNAL | _SCOPE_ABSTRACT_UNIX) if abi >= 6 else 0,
    )
    size = 8 if abi < 4 else 16 if abi < 6 else 24
    ruleset = libc.syscall(_SYS_LANDLOCK_CREATE_RULESET, ctypes.byref(attr), size, 0)
    if ruleset < 0:
        box.note("writes only in the scratch folder (landlock)", False)
        return
    try:
        for path, access in ((workdir, fs), (Path(os.devnull), (1 << 1) | _FS_TRUNCATE)):
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            try:
                rule = _PathBeneathAttr(allowed_access=access & fs, parent_fd=fd)
                libc.syscall(
                    _SYS_LANDLOCK_ADD_RULE,
                    ruleset,
                    _LANDLOCK_RULE_PATH_BENEATH,
                    ctypes.byref(rule),
                    0,
                )
            finally:
                os.close(fd)
        libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
        ok = libc.syscall(_SYS_LANDLOCK_RESTRICT_SELF, ruleset, 0) == 0
    finally:
        os.close(ruleset)
    box.note("writes only in the scratch folder (landlock)", ok)
    if ok and abi >= 4:
        box.note("no TCP (landlock)", True)
    if ok and abi >= 6:
        box.note("no signals outside the sandbox (landlock)", True)


def join_pids_cgroup(token: str, limits: Limits, box: Containment) -> None:
    """As root, cap the number of processes with a pids cgroup (RLIMIT_NPROC ignores root).

    The grader removes the group after the run (see
    ``trainer.grading.supervise.remove_pids_cgroup``).
    """
    if os.getuid() != 0:
        return
    group = pids_cgroup(token)
    try:
        if group is None:
            raise OSError("no writable pids cgroup hierarchy")
        group.mkdir(exist_ok=True)
        (group / "pids.max").write_text(str(limits.processes), encoding="ascii")
        (group / "cgroup.procs").write_text(str(os.getpid()), encoding="ascii")
        box.note(f"processes {limits.processes} (cgroup)", True)
    except OSError:
        box.note(f"processes {limits.processes} (cgroup)", False)


def contain(workdir: Path, limits: Limits, timeout: float, token: str) -> Containment:
    """Everything but the namespaces (entered earlier, before the fork), in a safe order."""
    box = Containment()
    join_pids_cgroup(token, limits, box)
    landlock(workdir, box)
    apply_limits(limits, timeout, box)
    return box
