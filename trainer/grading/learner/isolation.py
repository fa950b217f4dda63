"""Namespaces, a private root and no capabilities for a grading child: the steps bubblewrap takes.

Why these steps are done here rather than by running ``bwrap``: bubblewrap sets up a sandbox for
a program it then *executes*. Grading needs two things no exec wrapper can give. The warm path
forks each child from a worker that already imported torch; re-executing would throw away the
seconds that make it warm. And the hidden checks live beside the kata's solution, so they are
collected first and the root narrowed afterwards, in the middle of the process's life. The
steps follow bwrap's own (``unshare``, id maps, a tmpfs root with read-only binds, ``/proc`` of
the new PID namespace, ``pivot_root``, detach the old root, remount read-only, drop every
capability), each checked, each reported as a layer of its own.

Layers and what they stop:

- a **user namespace** (even for root): capabilities hold only inside it, so ``chattr``,
  ``chown`` of the host's files, module loading and the like fail for lack of them;
- fresh **mount, PID, network, IPC and UTS** namespaces: a private root, no view of the host's
  processes, no network, SysV objects and a host name that vanish with the run;
- a **trusted init** (:func:`run_as_init`): PID 1 of the new namespace is the trainer's, not the
  learner's; when the grading process ends, init exits and the kernel kills every process left
  in the namespace, ``setsid`` and double forks included. Without a PID namespace the same init
  is a child subreaper and kills what is left itself.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import platform
import shutil
import signal
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from trainer.grading.layers import Containment, Layer

CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
MNT_DETACH = 2

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
PR_CAPBSET_DROP = 24
PR_SET_SECUREBITS = 28
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
SECURE_ALL_BITS_LOCKED = 0x2F
"""NOROOT, NO_SETUID_FIXUP, KEEP_CAPS_LOCKED and their locks: uid 0 never regains capabilities."""

_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "ppc64le": 203, "riscv64": 41, "s390x": 217}

DEVICES = ("null", "zero", "full", "random", "urandom")
"""Device nodes every grading gets; nothing else of the host's /dev (no tty, no pts)."""

SYSTEM = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc/ld.so.cache")
"""The operating system's shared libraries and tools, read-only: what the interpreter and a
``subprocess`` a learner starts need to load. Nothing in them belongs to a kata or a learner."""


@functools.cache
def libc() -> ctypes.CDLL:
    """The C library, loaded once: the symbols the interpreter already has (``find_library``
    would start ``ldconfig`` on every call, milliseconds each, on a warm grading's path)."""
    return ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def die_with_parent() -> bool:
    """SIGKILL when the parent ends, so a grader killed with -9 takes its child along."""
    parent = os.getppid()
    libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(70)
    return True


def no_terminal(box: Containment) -> None:
    """A session of its own (no controlling terminal) and stdin from /dev/null."""
    with contextlib.suppress(PermissionError):  # already a session leader
        os.setsid()
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    box.note(Layer.NO_TERMINAL, os.getsid(0) == os.getpid())


def _write(path: str, text: str) -> None:
    Path(path).write_text(text, encoding="ascii")


def enter_namespaces(box: Containment, *, user: bool = True) -> bool:
    """New user (where allowed), mount, PID, network, IPC and UTS namespaces.

    Must run while the process is single-threaded (``unshare`` of a user namespace demands it):
    at the start of a cold child, or just after the warm worker's fork. Returns True when the
    PID namespace holds; the caller must then fork (:func:`run_as_init`).
    """
    uid, gid = os.geteuid(), os.getegid()
    lib = libc()
    rest = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
    in_user = False
    if user and lib.unshare(CLONE_NEWUSER | rest) == 0:
        in_user = True
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{uid} {uid} 1\n")
        _write("/proc/self/gid_map", f"{gid} {gid} 1\n")
    elif uid == 0 and lib.unshare(rest) == 0:
        pass  # real root without user namespaces: the rest still holds; capabilities go later
    else:
        box.note(Layer.USER_NS, False)
        net = lib.unshare(CLONE_NEWNET) == 0
        box.note(Layer.NET_NS, net)
        for layer in (Layer.MOUNT_NS, Layer.PID_NS, Layer.IPC_NS, Layer.UTS_NS):
            box.note(layer, False)
        return False
    box.note(Layer.USER_NS, in_user)
    for layer in (Layer.MOUNT_NS, Layer.PID_NS, Layer.NET_NS, Layer.IPC_NS, Layer.UTS_NS):
        box.note(layer, True)
    return True


def run_as_init(pid_namespace: bool) -> None:
    """Fork the trusted init, which forks the grading process; returns only in the latter.

    With a new PID namespace, init is its PID 1: when init exits, the kernel kills every process
    left in the namespace. Without one, init is a child subreaper instead: every orphan the run
    makes is re-parented to it, and when the grading process ends it kills them all, sweeping
    until none is left (a process forking as it dies is caught by the next sweep). Either way
    ``setsid``, double forks and daemons end with the run.

    The process that called this waits as a relay and ends the way the grading process did
    (init tells it over a pipe the grading process never holds: a namespace's init cannot raise
    SIGKILL on itself, so its own exit cannot carry it). Init dies with its parent, ignores the
    signals a learner could send it, and is not dumpable (its memory cannot be written through
    /proc).
    """
    status_read, status_write = os.pipe()
    init = os.fork()
    if init != 0:
        os.close(status_write)
        _relay(init, status_read)
    os.close(status_read)
    die_with_parent()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE):
        signal.signal(signum, signal.SIG_IGN)
    if not pid_namespace:
        libc().prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    grading = os.fork()
    if grading == 0:
        os.close(status_write)
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE):
            signal.signal(signum, signal.SIG_DFL)
        die_with_parent()
        return
    libc().prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            os._exit(70)
        except InterruptedError:
            continue
        if pid == grading:
            if not pid_namespace:
                kill_descendants()
            with contextlib.suppress(OSError):
                os.write(status_write, status.to_bytes(4, "little"))
            os._exit(0)


def kill_descendants() -> None:
    """SIGKILL and reap every child of this subreaper until it has none left.

    Orphans are re-parented here, so once no child is left, nothing the run started survives.
    """
    me = os.getpid()
    while True:
        for pid in _children_of(me):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return
        except InterruptedError:
            continue


def _children_of(parent: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text(encoding="ascii", errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and fields[1] == str(parent):
            children.append(int(entry.name))
    return children


def _relay(pid: int, status_pipe: int) -> None:
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)
    while True:
        try:
            _, init_status = os.waitpid(pid, 0)
            break
        except ChildProcessError:
            os._exit(70)
        except InterruptedError:
            continue
    told = os.read(status_pipe, 4)
    _exit_like(int.from_bytes(told, "little") if len(told) == 4 else init_status)


def _exit_like(status: int) -> None:
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        with contextlib.suppress(OSError, ValueError):
            signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
        os._exit(128 - code)
    os._exit(code)


def _mount(
    source: str | None, target: str | Path, fstype: str | None, flags: int, data: str = ""
) -> None:
    lib = libc()
    result = lib.mount(
        source.encode() if source else None,
        str(target).encode(),
        fstype.encode() if fstype else None,
        ctypes.c_ulong(flags),
        data.encode() if data else None,
    )
    _check(result, f"mount {source or fstype} on {target}")


def _locked_flags(path: Path) -> int:
    """The mount flags a user namespace may not clear on a bind of ``path``."""
    flags = os.statvfs(path).f_flag
    keep = 0
    for statvfs_bit, mount_bit in ((2, MS_NOSUID), (4, MS_NODEV), (8, MS_NOEXEC)):
        if flags & statvfs_bit:
            keep |= mount_bit
    return keep


def _place(newroot: Path, path: Path) -> Path:
    return newroot / path.relative_to("/")


def _bind(source: Path, newroot: Path, *, writable: bool = False) -> None:
    target = _place(newroot, source)
    if source.is_dir():
        target.mkdir(parents=True, exist_ok=True)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.touch()
    _mount(str(source), target, None, MS_BIND)
    flags = MS_REMOUNT | MS_BIND | _locked_flags(source) | (0 if writable else MS_RDONLY)
    _mount(None, target, None, flags)


@functools.cache
def readable_paths(extra: tuple[str, ...] = ()) -> tuple[Path, ...]:
    """The Python installation and the system libraries, with the trainer package itself.

    Deliberately not the folders on ``sys.path`` that are not an installation (a checkout's
    root is on it for an editable install, with every kata's solution beside the package).
    """
    import trainer

    candidates = {sys.base_prefix, sys.prefix, sys.base_exec_prefix, sys.exec_prefix, *SYSTEM}
    candidates |= {p for p in sys.path if p.endswith(("site-packages", "dist-packages"))}
    candidates.add(str(Path(trainer.__file__).resolve().parent))
    candidates |= set(extra)
    chosen: list[Path] = []
    for name in sorted(candidates):
        path = Path(name)
        if path == Path("/") or not path.exists():
            continue
        chosen.append(path)
    # Drop anything already inside another chosen path (binding it twice adds nothing).
    return tuple(p for p in chosen if not any(q != p and q in p.parents for q in chosen))


def private_root(
    workdir: Path,
    readable: Sequence[Path],
    hidden: Iterable[Path],
    *,
    scratch_mb: int,
    devices: Iterable[str] = (),
) -> None:
    """Replace the filesystem with the installation (read-only), the scratch and a few devices.

    The scratch is a fresh size-capped tmpfs at the same path as ``workdir`` (so every path the
    plugin and pytest hold stays valid), filled with a copy of ``workdir``'s files; it is private
    to this grading and disappears with it. ``hidden`` paths that fall inside a read-only bind
    (a wheel ships the katas inside the package) are covered with an empty tmpfs.
    """
    newroot = workdir / ".root"
    newroot.mkdir(exist_ok=True)
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount("tmpfs", newroot, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=8m")
    for path in readable:
        if path.is_symlink() and path.parent == Path("/"):
            link = _place(newroot, path)
            if not link.exists():
                link.symlink_to(path.readlink())
            continue
        _bind(path, newroot)
    for path in hidden:
        inside = _place(newroot, path)
        if any(path == p or p in path.parents for p in readable) and inside.is_dir():
            _mount("tmpfs", inside, "tmpfs", MS_NOSUID | MS_NODEV | MS_RDONLY, "size=4k")
    scratch = _place(newroot, workdir)
    scratch.mkdir(parents=True, exist_ok=True)
    # Room for one file at the size limit and the grading's own few: RLIMIT_FSIZE still says
    # which file was too big, and the total is bounded as no per-file limit can bound it.
    size = f"size={scratch_mb + 16}m"
    _mount("tmpfs", scratch, "tmpfs", MS_NOSUID | MS_NODEV, f"mode=0700,{size}")
    for entry in workdir.iterdir():
        if entry.is_file() and not entry.is_symlink():
            shutil.copy2(entry, scratch / entry.name)
    dev = newroot / "dev"
    dev.mkdir(exist_ok=True)
    for name in (*DEVICES, *devices):
        node = Path("/dev") / name
        if node.exists():
            _bind(node, newroot, writable=True)
    (dev / "shm").mkdir(exist_ok=True)
    _mount("tmpfs", dev / "shm", "tmpfs", MS_NOSUID | MS_NODEV, f"mode=1777,size={scratch_mb}m")
    for name, target in (
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ):
        (dev / name).symlink_to(target)
    (newroot / "proc").mkdir(exist_ok=True)
    _mount("proc", newroot / "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY)
    (newroot / "tmp").mkdir(exist_ok=True)
    os.chdir(newroot)
    number = _PIVOT_ROOT.get(platform.machine())
    if number is None:
        raise OSError(f"pivot_root: unknown system call number on {platform.machine()}")
    _check(libc().syscall(number, b".", b"."), "pivot_root")
    _check(libc().umount2(b".", MNT_DETACH), "detach the old root")
    os.chdir("/")
    _mount(None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
    os.chdir(workdir)


class _CapHeader(ctypes.Structure):
    _fields_ = (("version", ctypes.c_uint32), ("pid", ctypes.c_int))


class _CapData(ctypes.Structure):
    _fields_ = (
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    )


def drop_capabilities(box: Containment) -> None:
    """Every capability gone: effective, permitted, inheritable, ambient and the bounding set,
    with securebits locked so that being uid 0 never brings one back."""
    lib = libc()
    lib.prctl(PR_SET_SECUREBITS, SECURE_ALL_BITS_LOCKED, 0, 0, 0)
    lib.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    for cap in range(64):
        if lib.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() == 22:
            break  # EINVAL: past the last capability this kernel knows
    header = _CapHeader(version=0x20080522, pid=0)
    data = (_CapData * 2)()
    lib.capset(ctypes.byref(header), data)
    box.note(Layer.NO_CAPABILITIES, effective_capabilities() == 0)


def effective_capabilities() -> int:
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("CapEff:"):
            return int(line.split()[1], 16)
    return -1
