"""One cgroup per grading, made and removed by the grader: limits no learner process escapes.

What a cgroup gives that ``setrlimit`` cannot: memory counted over every process of the run,
shared memory included (three forks sharing a segment are one budget, not four), a process
cap that applies to root, CPU time summed over every process (the kata's budget), and a kill
that reaches every process of the run however it detached itself.

cgroup v2 is used where the grader can make a group in it (``cgroup.kill``, ``memory.max``,
``pids.max``, ``cpu.stat``); v1 hierarchies fill in the controllers v2 lacks here (a host can
mount ``memory`` on v1 and leave v2 with none). Where neither is writable (an ordinary user
without a delegated subtree, macOS) there is no group, and the child falls back to per-process
rlimits, which the verdict says. Group names carry the grader's pid, so :func:`sweep` can remove
those a grader killed with -9 left behind. Reading ``/proc/self/mountinfo`` by hand, rather
than a library: the few lines needed have no well-kept package that covers both versions.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from trainer.grading.limits import Limits

PREFIX = "katas-"
_NAME = re.compile(rf"^{PREFIX}(\d+)-[0-9a-f]+$")
_OLD_NAME = re.compile(rf"^{PREFIX}[0-9a-f]{{32}}$")
"""Groups named by an earlier release (no pid in the name): always stale."""

MB = 1024 * 1024


@dataclass(frozen=True)
class Hierarchy:
    """Where this process may make a group: the folder of its own cgroup in one hierarchy."""

    version: int
    folder: Path
    controllers: frozenset[str]


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii")
    except OSError:
        return ""


def _own_folder(mountpoint: Path, mount_root: str, own: str) -> Path | None:
    if mount_root != "/" and not own.startswith(mount_root):
        return None
    relative = own[len(mount_root) :] if mount_root != "/" else own
    folder = mountpoint / relative.lstrip("/")
    return folder if folder.is_dir() else None


@cache
def hierarchies() -> tuple[Hierarchy, ...]:
    """The hierarchies mounted here and this process's place in each, v2 first."""
    own: dict[str, str] = {}
    for line in _read(Path("/proc/self/cgroup")).splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3:
            own[parts[1]] = parts[2]
    found: list[Hierarchy] = []
    for line in _read(Path("/proc/self/mountinfo")).splitlines():
        left, _, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if len(fields) < 5 or len(tail) < 3:
            continue
        fstype, options = tail[0], set(tail[2].split(","))
        mount_root, mountpoint = fields[3], Path(fields[4].replace("\\040", " "))
        if fstype == "cgroup2" and "" in own:
            folder = _own_folder(mountpoint, mount_root, own[""])
            if folder is not None:
                names = frozenset(_read(folder / "cgroup.controllers").split())
                found.insert(0, Hierarchy(2, folder, names))
        elif fstype == "cgroup":
            for key, path in own.items():
                names = frozenset(key.split(","))
                if key and names <= options and names & {"memory", "pids", "cpuacct"}:
                    folder = _own_folder(mountpoint, mount_root, path)
                    if folder is not None:
                        found.append(Hierarchy(1, folder, names))
    return tuple(found)


@dataclass
class RunGroup:
    """The cgroups of one grading; ``layers`` says what they enforce, as the child reports it."""

    folders: list[Path] = field(default_factory=list)
    layers: dict[str, str] = field(default_factory=dict)
    _cpu: tuple[Path, str] | None = None
    _memory_events: tuple[Path, int] | None = None
    _kill: Path | None = None
    _memory_files: list[Path] = field(default_factory=list)
    _pids_file: Path | None = None

    def set_limits(self, limits: Limits) -> None:
        """Write ``limits`` into the groups (an armed grading's, made before its kata was known).

        Only while nothing in the group has allocated much yet: a memory limit below the usage
        already charged is refused by the kernel, and the grading then runs under the old one.
        """
        for _ in range(2):  # v1's two memory limits must stay ordered: one of them goes first
            for path in self._memory_files:
                _try_write(path, str(limits.memory_mb * MB))
        if self._pids_file is not None:
            _try_write(self._pids_file, str(limits.processes))

    @property
    def procs(self) -> tuple[str, ...]:
        return tuple(str(folder / "cgroup.procs") for folder in self.folders)

    def cpu_seconds(self) -> float | None:
        """CPU time used so far by every process of the run, where a group counts it."""
        if self._cpu is None:
            return None
        path, kind = self._cpu
        text = _read(path)
        if kind == "v2":
            for line in text.splitlines():
                if line.startswith("usage_usec "):
                    return int(line.split()[1]) / 1e6
            return None
        return int(text) / 1e9 if text.strip() else None

    def oom_killed(self) -> bool:
        """Whether the kernel killed a process of the run for exceeding its memory."""
        if self._memory_events is None:
            return False
        path, version = self._memory_events
        for line in _read(path).splitlines():
            name, _, value = line.partition(" ")
            if name == "oom_kill" and value.strip().isdigit() and int(value) > 0:
                return True
            if version == 1 and name == "under_oom" and value.strip() == "1":
                return True
        return False

    def send_kill(self) -> bool:
        """SIGKILL every process of the run now (``cgroup.kill`` where there is one); whether
        any was left."""
        if self._kill is not None:
            with contextlib.suppress(OSError):
                self._kill.write_text("1", encoding="ascii")
        alive = False
        for folder in self.folders:
            for pid in _read(folder / "cgroup.procs").split():
                alive = True
                with contextlib.suppress(OSError):
                    os.kill(int(pid), signal.SIGKILL)
        return alive

    def kill(self) -> None:
        """SIGKILL every process of the run, and wait (up to about a second) until none is left."""
        for _ in range(500):
            if not self.send_kill():
                return
            time.sleep(0.002)

    def remove(self) -> None:
        """Kill what is left and remove every folder (retrying while the last exits are reaped)."""
        self.kill()
        for folder in self.folders:
            _remove(folder)


def _remove(folder: Path) -> bool:
    for _ in range(1000):
        try:
            folder.rmdir()
            return True
        except FileNotFoundError:
            return True
        except OSError:
            time.sleep(0.002)
    return False


def _try_write(path: Path, value: str) -> bool:
    try:
        path.write_text(value, encoding="ascii")
        return True
    except OSError:
        return False


def create(token: str, limits: Limits) -> RunGroup | None:
    """Make the run's groups and set their limits; None where no hierarchy is writable."""
    group = RunGroup()
    name = f"{PREFIX}{os.getpid()}-{token[:16]}"
    wanted = {"memory", "processes", "cpu"}
    for hierarchy in hierarchies():
        if hierarchy.version == 2:
            for controller in ("memory", "pids"):
                if controller in hierarchy.controllers:
                    _try_write(hierarchy.folder / "cgroup.subtree_control", f"+{controller}")
        elif not {"memory", "pids", "cpuacct"} & hierarchy.controllers & _needs(wanted):
            continue
        folder = hierarchy.folder / name
        try:
            folder.mkdir()
        except OSError:
            continue
        used = False
        how = f"cgroup v{hierarchy.version}"
        if hierarchy.version == 2:
            if (folder / "cgroup.kill").exists():
                group._kill = folder / "cgroup.kill"
                used = True
            if "cpu" in wanted and (folder / "cpu.stat").exists():
                group._cpu, used = (folder / "cpu.stat", "v2"), True
                group.layers["cpu"] = how
                wanted.discard("cpu")
            if "memory" in wanted and _try_write(folder / "memory.max", str(limits.memory_mb * MB)):
                _try_write(folder / "memory.swap.max", "0")
                group._memory_files = [folder / "memory.max"]
                group._memory_events, used = (folder / "memory.events", 2), True
                group.layers["memory"] = f"{how}, all processes and shared memory"
                wanted.discard("memory")
            if "processes" in wanted and _try_write(folder / "pids.max", str(limits.processes)):
                group.layers["processes"], used = how, True
                group._pids_file = folder / "pids.max"
                wanted.discard("processes")
        else:
            names = hierarchy.controllers
            memory = str(limits.memory_mb * MB)
            if (
                "memory" in names
                and "memory" in wanted
                and _try_write(folder / "memory.limit_in_bytes", memory)
            ):
                _try_write(folder / "memory.memsw.limit_in_bytes", memory)
                group._memory_files = [folder / "memory.limit_in_bytes"]
                if (folder / "memory.memsw.limit_in_bytes").exists():
                    group._memory_files.append(folder / "memory.memsw.limit_in_bytes")
                group._memory_events, used = (folder / "memory.oom_control", 1), True
                group.layers["memory"] = f"{how}, all processes and shared memory"
                wanted.discard("memory")
            if (
                "pids" in names
                and "processes" in wanted
                and _try_write(folder / "pids.max", str(limits.processes))
            ):
                group.layers["processes"], used = how, True
                group._pids_file = folder / "pids.max"
                wanted.discard("processes")
            if "cpuacct" in names and "cpu" in wanted and (folder / "cpuacct.usage").exists():
                group._cpu, used = (folder / "cpuacct.usage", "v1"), True
                group.layers["cpu"] = how
                wanted.discard("cpu")
        if used:
            group.folders.append(folder)
        else:
            _remove(folder)
    return group if group.folders else None


def _needs(wanted: set[str]) -> set[str]:
    return {{"memory": "memory", "processes": "pids", "cpu": "cpuacct"}[w] for w in wanted}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep() -> list[Path]:
    """Remove the groups of graders that are gone (killed with -9, a power cut); returns them."""
    removed = []
    for hierarchy in hierarchies():
        with contextlib.suppress(OSError):
            for folder in hierarchy.folder.iterdir():
                match = _NAME.match(folder.name)
                stale = _OLD_NAME.match(folder.name) or (match and not _alive(int(match[1])))
                if not stale or not folder.is_dir():
                    continue
                RunGroup(folders=[folder], _kill=folder / "cgroup.kill").kill()
                if _remove(folder):
                    removed.append(folder)
    return removed
