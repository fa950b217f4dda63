"""Containment for a grading child, applied in the child before any learner code runs.

Three moments, all before the learner's file is imported. First (:func:`enter`,
single-threaded): join the run's cgroups, leave the terminal, enter new namespaces and fork the
trusted init (see :mod:`trainer.grading.learner.isolation`). Then (:func:`contain`): the private
root, Landlock, no capabilities, no new privileges, and last the seccomp filter. These two may
run ahead of the grading's request (a warm worker arms the next grading while the learner
types). Last, when the request arrives (:func:`apply_limits`): the kata's resource limits.

Each layer is independent and best effort, so a platform without one still gets the others;
:class:`~trainer.grading.layers.Containment` records which held, and the verdict lists them.
Read isolation comes from two of them, either enough alone: the private root (a mount
namespace holding only the installation, read-only, and the scratch) and Landlock's read rules
(the same set of paths, enforced by the kernel on every open).
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import os
import resource
import signal
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from trainer.grading.layers import Containment, Layer, cpu_layer, memory_layer, processes_layer
from trainer.grading.learner import isolation, seccomp
from trainer.grading.limits import Limits
from trainer.grading.protocol import ArmRequest

MB = 1024 * 1024

_SYS_LANDLOCK_CREATE_RULESET = 444
_SYS_LANDLOCK_ADD_RULE = 445
_SYS_LANDLOCK_RESTRICT_SELF = 446
_LANDLOCK_CREATE_RULESET_VERSION = 1
_LANDLOCK_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38
_PR_GET_NO_NEW_PRIVS = 39

_EXECUTE = 1 << 0
_WRITE_FILE = 1 << 1
_READ_FILE = 1 << 2
_READ_DIR = 1 << 3
_FS_READ = _EXECUTE | _READ_FILE | _READ_DIR
_FS_WRITE_V1 = (
    _WRITE_FILE
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
_FS_IOCTL_DEV = 1 << 15  # ABI 5
_FILE_RIGHTS = _EXECUTE | _WRITE_FILE | _READ_FILE | _FS_TRUNCATE | _FS_IOCTL_DEV
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


def _count_processes(uid: int) -> int:
    count = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if entry.stat().st_uid == uid:
                    count += 1
    return count


def _mapped_bytes() -> int:
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0


def apply_limits(
    limits: Limits, timeout: float, groups: dict[str, str], joined: bool, box: Containment
) -> None:
    """Set every resource limit (soft = hard, so none can be raised again), and note the
    cgroup's limits as layers where the process joined them.

    Memory: a cgroup joined at the start counts every process and shared memory; without one,
    ``RLIMIT_AS`` caps each process's address space at what it maps now plus the limit. In
    both cases ``RLIMIT_DATA`` makes one huge allocation fail cleanly (a MemoryError with a
    message) instead of inviting the OOM killer. CPU: the kata's ``timeout`` is the budget.
    """
    groups = groups if joined else {}

    def limit(kind: int, soft: int, name: str | None, hard: int | None = None) -> None:
        hard = soft if hard is None else hard
        try:
            _soft, ceiling = resource.getrlimit(kind)
            if ceiling != resource.RLIM_INFINITY:
                soft, hard = min(soft, ceiling), min(hard, ceiling)
            resource.setrlimit(kind, (soft, hard))
            ok = True
        except (ValueError, OSError):
            ok = False
        if name is not None:
            box.note(name, ok)

    limit(resource.RLIMIT_CORE, 0, Layer.NO_CORE)
    memory = limits.memory_mb * MB
    limit(resource.RLIMIT_DATA, memory, None)
    if "memory" in groups:
        box.note(memory_layer(limits.memory_mb, groups["memory"]), True)
    else:
        limit(
            resource.RLIMIT_AS,
            _mapped_bytes() + memory,
            memory_layer(limits.memory_mb, "RLIMIT_AS, per process"),
        )
    seconds = math.ceil(timeout)
    how = "all processes, cgroup" if "cpu" in groups else "per process, RLIMIT_CPU"
    limit(resource.RLIMIT_CPU, seconds, cpu_layer(timeout, how), seconds + 1)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an oversized write fails (EFBIG), no kill
    limit(resource.RLIMIT_FSIZE, limits.file_mb * MB, f"files {limits.file_mb} MB")
    limit(resource.RLIMIT_NOFILE, limits.open_files, f"open files {limits.open_files}")
    if "processes" in groups:
        box.note(processes_layer(limits.processes, groups["processes"]), True)
    else:
        # Counted per user; the kernel applies it to root only without CAP_SYS_RESOURCE, which
        # the process has dropped when it runs in a user namespace.
        existing = _count_processes(os.getuid())
        limit(
            resource.RLIMIT_NPROC,
            existing + limits.processes,
            processes_layer(limits.processes, "RLIMIT_NPROC"),
        )


def join_cgroups(spec: ArmRequest) -> bool:
    """Move this process into the cgroups the grader made for the run (before any fork)."""
    joined = bool(spec.cgroups)
    for procs in spec.cgroups:
        try:
            Path(procs).write_text(str(os.getpid()), encoding="ascii")
        except OSError:
            joined = False
    return joined


def _allow_except(path: Path, hidden: list[Path]) -> Iterable[Path]:
    """``path`` itself, or where a hidden folder lies inside it, every sibling branch of it."""
    inside = [h for h in hidden if h == path or path in h.parents]
    if not inside:
        yield path
        return
    if path in inside or not path.is_dir():
        return
    with contextlib.suppress(OSError):
        for child in path.iterdir():
            yield from _allow_except(child, inside)


def landlock(
    workdir: Path,
    readable: Sequence[Path],
    hidden: list[Path],
    box: Containment,
    *,
    devices: Iterable[Path] = (),
    private: bool = False,
    skip: bool = False,
) -> None:
    """Reads only beneath ``readable`` (less ``hidden``), writes only beneath the scratch."""
    lib = isolation.libc()
    abi = -1 if skip else lib.syscall(_SYS_LANDLOCK_CREATE_RULESET, None, 0, 1)
    if abi < 1:
        for layer in (Layer.LANDLOCK_READ, Layer.LANDLOCK_WRITE):
            box.note(layer, False)
        return
    fs = _FS_READ | _FS_WRITE_V1
    fs |= (_FS_REFER if abi >= 2 else 0) | (_FS_TRUNCATE if abi >= 3 else 0)
    fs |= _FS_IOCTL_DEV if abi >= 5 else 0
    attr = _RulesetAttr(
        handled_access_fs=fs,
        handled_access_net=_NET_TCP if abi >= 4 else 0,
        scoped=(_SCOPE_SIGNAL | _SCOPE_ABSTRACT_UNIX) if abi >= 6 else 0,
    )
    size = 8 if abi < 4 else 16 if abi < 6 else 24
    ruleset = lib.syscall(_SYS_LANDLOCK_CREATE_RULESET, ctypes.byref(attr), size, 0)
    if ruleset < 0:
        for layer in (Layer.LANDLOCK_READ, Layer.LANDLOCK_WRITE):
            box.note(layer, False)
        return
    dev_rw = _READ_FILE | _WRITE_FILE | _FS_TRUNCATE
    rules: list[tuple[Path, int]] = [(workdir, fs), (Path("/proc"), _FS_READ)]
    if private:  # a /dev/shm of this grading's own; the host's is shared with everyone
        rules.append((Path("/dev/shm"), fs))
    rules += [(Path("/dev") / name, dev_rw) for name in isolation.DEVICES]
    rules += [(device, dev_rw | _FS_IOCTL_DEV) for device in devices]
    for root in readable:
        rules += [(p, _FS_READ) for p in _allow_except(root, hidden)]
    try:
        for path, access in rules:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                allowed = access & fs
                if not path.is_dir():
                    allowed &= _FILE_RIGHTS
                rule = _PathBeneathAttr(allowed_access=allowed, parent_fd=fd)
                lib.syscall(
                    _SYS_LANDLOCK_ADD_RULE,
                    ruleset,
                    _LANDLOCK_RULE_PATH_BENEATH,
                    ctypes.byref(rule),
                    0,
                )
            finally:
                os.close(fd)
        lib.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
        ok = lib.syscall(_SYS_LANDLOCK_RESTRICT_SELF, ruleset, 0) == 0
    finally:
        os.close(ruleset)
    box.note(Layer.LANDLOCK_READ, ok)
    box.note(Layer.LANDLOCK_WRITE, ok)
    if ok and abi >= 4:
        box.note(Layer.LANDLOCK_TCP, True)
    if ok and abi >= 6:
        box.note(Layer.LANDLOCK_SIGNALS, True)


def enter(spec: ArmRequest) -> tuple[Containment, bool]:
    """The learner process's first steps; returns only in the process that will serve, under
    its trusted init, with whether it joined the run's cgroups.

    Single-threaded, before anything else (a user namespace demands it, and the trusted init
    must be in place before any code it guards runs). Linux only: elsewhere the process group
    the supervisor kills is all there is, and the verdict says so.
    """
    box = Containment()
    if sys.platform != "linux":
        isolation.no_terminal(box)
        for layer in (*NAMESPACE_LAYERS, Layer.TRUSTED_INIT):
            box.note(layer, False)
        return box, False
    isolation.die_with_parent()
    joined = join_cgroups(spec)
    isolation.no_terminal(box)
    if "namespaces" in spec.skip:
        for layer in NAMESPACE_LAYERS:
            box.note(layer, False)
        pid_namespace = False
    else:
        pid_namespace = isolation.enter_namespaces(box, user="userns" not in spec.skip)
    box.note(Layer.TRUSTED_INIT, True)
    isolation.run_as_init(pid_namespace)
    return box, joined


NAMESPACE_LAYERS = (
    Layer.USER_NS,
    Layer.MOUNT_NS,
    Layer.PID_NS,
    Layer.NET_NS,
    Layer.IPC_NS,
    Layer.UTS_NS,
)


def gpu_devices(device: str) -> list[Path]:
    if not device.startswith("cuda"):
        return []
    return sorted(Path("/dev").glob("nvidia*")) + sorted(Path("/dev/dri").glob("*"))


def contain(workdir: Path, spec: ArmRequest, device: str, entered: Containment) -> Containment:
    """The private root, Landlock, no capabilities, no new privileges, and last seccomp.

    Resource limits come later (:func:`apply_limits`), when the grading's request says which.
    """
    box = Containment()
    readable = isolation.readable_paths()
    hidden = [Path(p) for p in spec.hidden]
    devices = gpu_devices(device)
    if Layer.MOUNT_NS in entered.applied and "root" not in spec.skip:
        try:
            isolation.private_root(
                workdir,
                readable,
                hidden,
                scratch_mb=spec.file_mb,
                devices=[str(d.relative_to("/dev")) for d in devices],
            )
            box.note(Layer.PRIVATE_ROOT, True)
        except OSError:
            box.note(Layer.PRIVATE_ROOT, False)
    else:
        box.note(Layer.PRIVATE_ROOT, False)
    landlock(
        workdir,
        readable,
        hidden,
        box,
        devices=devices,
        private=Layer.PRIVATE_ROOT in box.applied,
        skip="landlock" in spec.skip,
    )
    isolation.drop_capabilities(box)
    lib = isolation.libc()
    lib.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    box.note(Layer.NO_NEW_PRIVILEGES, lib.prctl(_PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1)
    if "seccomp" in spec.skip:
        box.note(Layer.SECCOMP, False)
    else:
        seccomp.install(box)
    return box
