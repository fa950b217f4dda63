"""A system call filter for the grading child, compiled by libseccomp (through pyseccomp).

libseccomp rather than hand-written BPF: it resolves names to numbers per architecture, kills
any call made through another architecture's entry point (the 32-bit ``int 0x80`` trick), and
compares arguments correctly on every ABI. What it denies is what no kata needs and what an
attack on the grader does: changing file attributes (mode, owner, times, extended attributes,
``chattr`` flags), pushing input into a terminal (TIOCSTI, TIOCLINUX), mounting, tracing other
processes, SysV IPC objects, the kernel keyring, BPF, kernel modules, new namespaces, the host
name and clock, io_uring (whose operations bypass this filter) and the like. Denied calls fail
with EPERM, so learner code sees an ordinary error rather than a killed process. Installed last,
with every thread of the process synchronised to it.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import platform
import tempfile

from trainer.grading.layers import Containment, Layer

DENIED = (
    # file attributes: Landlock covers writes, not these
    "chmod", "fchmod", "fchmodat", "fchmodat2",
    "chown", "fchown", "lchown", "fchownat",
    "utime", "utimes", "utimensat", "futimesat",
    "setxattr", "lsetxattr", "fsetxattr", "setxattrat",
    "removexattr", "lremovexattr", "fremovexattr", "removexattrat",
    # the filesystem tree and devices
    "mount", "umount", "umount2", "pivot_root", "chroot", "mknod", "mknodat",
    "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
    "name_to_handle_at", "open_by_handle_at", "swapon", "swapoff", "quotactl",
    # other processes and the kernel
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    "keyctl", "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd",
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load",
    "reboot", "acct", "syslog", "iopl", "ioperm", "vhangup",
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    # host-wide state; SysV IPC objects outlive their creator (without an IPC namespace, the
    # host's), and nothing a kata does needs them (torch shares memory through /dev/shm files)
    "sethostname", "setdomainname", "settimeofday", "clock_settime", "clock_adjtime",
    "adjtimex", "shmget", "msgget", "semget",
    # new namespaces (clone with CLONE_NEW* is filtered by its flags below)
    "unshare", "setns",
)  # fmt: skip

TTY_IOCTLS = (0x5412, 0x541C)
"""TIOCSTI (push a byte into a terminal's input) and TIOCLINUX (its console-level cousin)."""

ATTRIBUTE_IOCTLS = (0x40086602, 0x40046602, 0x401C5820)
"""FS_IOC_SETFLAGS (``chattr``), its 32-bit form, and FS_IOC_FSSETXATTR."""

NAMESPACE_FLAGS = (
    0x00020000,  # CLONE_NEWNS
    0x02000000,  # CLONE_NEWCGROUP
    0x04000000,  # CLONE_NEWUTS
    0x08000000,  # CLONE_NEWIPC
    0x10000000,  # CLONE_NEWUSER
    0x20000000,  # CLONE_NEWPID
    0x40000000,  # CLONE_NEWNET
    0x00000080,  # CLONE_NEWTIME
)


SECCOMP_SYSCALL = {"x86_64": 317, "aarch64": 277, "riscv64": 277, "ppc64le": 358, "s390x": 348}
"""The ``seccomp`` system call's number per architecture (no C library wraps it)."""


@functools.cache
def program() -> bytes | None:
    """The filter as classic BPF, compiled once per process by libseccomp; None without it.

    The warm worker compiles it before it forks, so a grading child only loads it: importing
    pyseccomp and compiling take tens of milliseconds, loading a few microseconds.
    """
    try:
        import pyseccomp as sc

        deny = sc.ERRNO(errno.EPERM)
        rules = sc.SyscallFilter(sc.ALLOW)
        with contextlib.suppress(RuntimeError, OSError, ValueError):
            # A binary tree of system call numbers rather than a list (libseccomp 2.5+): every
            # call the learner's code makes passes the filter in a few comparisons.
            rules.set_attr(sc.Attr.CTL_OPTIMIZE, 2)
        for name in DENIED:
            try:
                rules.add_rule(deny, name)
            except (ValueError, RuntimeError, OSError):
                continue  # a call this kernel or libseccomp does not know cannot be made
        for cmd in (*TTY_IOCTLS, *ATTRIBUTE_IOCTLS):
            rules.add_rule(deny, "ioctl", sc.Arg(1, sc.MASKED_EQ, 0xFFFFFFFF, cmd))
        for flag in NAMESPACE_FLAGS:
            rules.add_rule(deny, "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
        # clone3 passes its flags in memory, where no filter can read them: answer ENOSYS, and
        # the C library falls back to clone, whose flags are filtered above.
        rules.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
        with tempfile.TemporaryFile() as compiled:
            rules.export_bpf(compiled)
            compiled.seek(0)
            return compiled.read()
    except (ImportError, OSError, RuntimeError, ValueError, AttributeError):
        return None


class _SockFprog(ctypes.Structure):
    _fields_ = (("len", ctypes.c_ushort), ("filter", ctypes.c_void_p))


def install(box: Containment) -> None:
    """Load the filter for every thread of this process (``SECCOMP_FILTER_FLAG_TSYNC``), after
    ``no_new_privs``; a platform without libseccomp reports the layer missing."""
    bpf = program()
    number = SECCOMP_SYSCALL.get(platform.machine())
    if bpf is None or number is None or not bpf:
        box.note(Layer.SECCOMP, False)
        return
    lib = ctypes.CDLL(None, use_errno=True)
    lib.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    buffer = ctypes.create_string_buffer(bpf, len(bpf))
    prog = _SockFprog(len(bpf) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    ok = lib.syscall(number, _SECCOMP_SET_MODE_FILTER, _FLAG_TSYNC, ctypes.byref(prog)) == 0
    box.note(Layer.SECCOMP, ok)


_PR_SET_NO_NEW_PRIVS = 38
_SECCOMP_SET_MODE_FILTER = 1
_FLAG_TSYNC = 1
