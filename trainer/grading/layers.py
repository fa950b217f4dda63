"""The names of the sandbox's layers, as the verdict's ``environment.sandbox`` lists them.

One table, so the child that applies a layer, the grader that demands one (``katas grade``
refuses to grade without read isolation) and the tests that attack each speak of the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class Layer:
    """Fixed layer names; limits with figures in them are built by the functions below."""

    NO_TERMINAL = "no terminal (own session, stdin /dev/null)"
    USER_NS = "user namespace (root inside is not root outside)"
    MOUNT_NS = "own mount namespace"
    PID_NS = "own PID namespace"
    TRUSTED_INIT = "trusted init: nothing the run starts outlives it"
    NET_NS = "no network (namespace)"
    IPC_NS = "own IPC namespace"
    UTS_NS = "own host name (UTS namespace)"
    PRIVATE_ROOT = "private root: Python read-only and its own scratch (mount namespace)"
    LANDLOCK_READ = "reads only Python and the scratch (landlock)"
    LANDLOCK_WRITE = "writes only in the scratch (landlock)"
    LANDLOCK_TCP = "no TCP (landlock)"
    LANDLOCK_SIGNALS = "no signals outside the sandbox (landlock)"
    NO_CAPABILITIES = "no capabilities"
    NO_NEW_PRIVILEGES = "no new privileges"
    SECCOMP = "system call filter (seccomp)"
    NO_CORE = "no core dumps"

    READ_ISOLATION = (PRIVATE_ROOT, LANDLOCK_READ)
    """Either one keeps the solution, other learners' files and the home folder out of reach."""


def memory_layer(memory_mb: int, how: str) -> str:
    return f"memory {memory_mb} MB ({how})"


def cpu_layer(seconds: float, how: str) -> str:
    return f"CPU time {seconds:g} s ({how})"


def processes_layer(count: int, how: str) -> str:
    return f"processes {count} ({how})"


def read_isolated(applied: tuple[str, ...] | list[str]) -> bool:
    return any(layer in applied for layer in Layer.READ_ISOLATION)


@dataclass
class Containment:
    """Which protections are in force in this child; reported in the verdict's environment."""

    applied: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def note(self, name: str, ok: bool) -> None:
        (self.applied if ok else self.missing).append(name)

    def extend(self, other: Containment) -> None:
        self.applied += other.applied
        self.missing += other.missing
