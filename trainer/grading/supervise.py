"""Supervise one grading child: collect its output and its result records, enforce its limits.

Shared by the cold path (a fresh ``python -m trainer.grading.judge.run``) and the warm path (a
child forked by a long-lived worker), so both are held to the same timeout, output cap and clean-up.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from trainer.grading.cgroups import RunGroup
from trainer.grading.protocol import Record, parse_lines
from trainer.grading.stacks import STACK_SIGNAL

OUTPUT_LIMIT = 64 * 1024
"""Bytes of captured output kept per run (head and tail); the rest is counted and cut."""

CHANNEL_LIMIT = 4 * 1024 * 1024
"""A result channel larger than this is not a real report; reading stops there."""

DRAIN_SECONDS = 0.5
"""How long to keep reading the result channel after the judge has gone."""

EXIT_WAIT_SECONDS = 5.0
"""How long to wait for a killed child's exit status before calling it lost."""

STACK_WAIT_SECONDS = 0.5
"""How long a run out of time may take to write where the learner's code was, before the kill."""

STACK_QUIET_SECONDS = 0.05
"""Once a stack dump has begun after the request, this long without more output ends the wait."""


class CappedOutput:
    """Keeps the head and the tail of a stream, counting what falls between."""

    def __init__(self, limit: int = OUTPUT_LIMIT) -> None:
        self._head_limit = limit * 3 // 4
        self._tail_limit = limit - self._head_limit
        self._head = bytearray()
        self._tail = bytearray()
        self.total = 0

    def feed(self, data: bytes) -> None:
        self.total += len(data)
        room = self._head_limit - len(self._head)
        if room > 0:
            self._head += data[:room]
            data = data[room:]
        if data:
            self._tail += data
            if len(self._tail) > self._tail_limit:
                del self._tail[: len(self._tail) - self._tail_limit]

    @property
    def truncated(self) -> bool:
        return self.total > len(self._head) + len(self._tail)

    def text(self) -> str:
        head = self._head.decode("utf-8", errors="replace")
        if not self._tail:
            return head
        tail = self._tail.decode("utf-8", errors="replace")
        if not self.truncated:
            return head + tail
        cut = self.total - len(self._head) - len(self._tail)
        return f"{head}\n… [output truncated: {cut} bytes cut, {self.total} in all] …\n{tail}"


@dataclass
class RunEvidence:
    """What the parent observed of one child run; the verdict is derived from this alone."""

    records: list[Record] = field(default_factory=list)
    garbled_lines: int = 0
    returncode: int | None = None
    timed_out: bool = False
    output: str = ""
    output_truncated: bool = False
    duration: float = 0.0
    cancelled: bool = False
    cpu_exceeded: bool = False
    """The run's processes together used up the CPU budget (measured by its cgroup)."""
    cpu_seconds: float | None = None
    oom_killed: bool = False
    """The kernel killed a process of the run for exceeding the cgroup's memory limit."""
    wall_timeout: float = 0.0
    """The wall-clock backstop the run was held to."""
    cpu_budget: float | None = None
    memory_mb: int = 0
    learner_file: str | None = None
    """The learner's file as the learner process saw it (its frames in a stack dump name it)."""


def child_env(base: Mapping[str, str]) -> dict[str, str]:
    env = dict(base)
    env.update(
        PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONUNBUFFERED="1",
        PYTHONIOENCODING="utf-8",
        PYTHONHASHSEED="0",
        # Katas use tiny tensors: one thread is faster than a pool fighting for the cores,
        # and makes results and timings independent of the machine.
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
    )
    for name in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTHONSTARTUP", "PYTHONINSPECT"):
        env.pop(name, None)
    return env


def kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


class ChildRun(Protocol):
    """A started grading child, however it was started; its pid is also its process group."""

    pid: int

    @property
    def wake_fd(self) -> int | None:
        """A descriptor that becomes readable when the child ends (a pidfd, a socket), if any."""

    def finished(self) -> bool:
        """Whether the child has ended, or can no longer be observed."""

    def wait(self, timeout: float) -> int | None:
        """The exit code (negative for a signal); None if it could not be observed in time."""

    def close(self) -> None:
        """Release what observing the child needed."""


class PopenRun:
    """A cold child: a process of our own, started in a new session."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        self.pid = proc.pid
        self._pidfd: int | None = None
        with contextlib.suppress(AttributeError, OSError):
            self._pidfd = os.pidfd_open(proc.pid)

    @property
    def wake_fd(self) -> int | None:
        return self._pidfd

    def finished(self) -> bool:
        return self.proc.poll() is not None

    def wait(self, timeout: float) -> int | None:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def close(self) -> None:
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None


def supervise(
    run: ChildRun,
    *,
    output_fd: int,
    channel_fd: int,
    timeout: float,
    token: str,
    output_limit: int = OUTPUT_LIMIT,
    cancel: threading.Event | None = None,
    group: RunGroup | None = None,
    cpu_budget: float | None = None,
) -> RunEvidence:
    """Read the child's output and channel until it ends, the time is up, or it is cancelled.

    ``timeout`` is the wall-clock backstop; ``cpu_budget``, where the run's cgroup counts CPU
    time, is checked as the run goes (otherwise each process's RLIMIT_CPU enforces it in the
    child). The process group is killed when the run ends, and every process of the cgroup is
    sent SIGKILL; the caller removes the cgroup once they are gone. Closes both descriptors.
    """
    start = time.monotonic()
    output = CappedOutput(output_limit)
    channel = bytearray()
    evidence = RunEvidence(wall_timeout=timeout, cpu_budget=cpu_budget)
    selector = selectors.DefaultSelector()
    selector.register(output_fd, selectors.EVENT_READ, "out")
    selector.register(channel_fd, selectors.EVENT_READ, "channel")
    if run.wake_fd is not None:
        selector.register(run.wake_fd, selectors.EVENT_READ, "wake")

    after_ask: bytearray | None = None
    """The end of the output since the learner process was asked for its stacks, once asked."""

    def pump(wait: float) -> None:
        for key, _ in selector.select(timeout=wait):
            if key.data == "wake":
                continue  # the loop asks run.finished(), which consumes the wake-up
            data = os.read(key.fd, 65536)
            if not data:
                selector.unregister(key.fd)
            elif key.data == "out":
                output.feed(data)
                if after_ask is not None:
                    after_ask.extend(data)
                    del after_ask[:-4096]
            elif len(channel) < CHANNEL_LIMIT:
                channel.extend(data)

    def reported() -> bool:
        """The judge sent its last record and closed the channel: the run is over, whatever
        its own exit still takes (it runs no learner code; its exit status says no more)."""
        return channel_fd not in selector.get_map() and b'"kind":"done"' in channel

    def ask_for_stacks() -> None:
        """Out of time: ask the learner process where its code is (through the judge, see
        :mod:`trainer.grading.stacks`) and read what it writes for a moment. Its answer is
        information only: the run is killed after this whatever it does, and is a timeout."""
        nonlocal after_ask
        after_ask = bytearray()
        with contextlib.suppress(OSError):
            os.kill(run.pid, STACK_SIGNAL)
        until = time.monotonic() + STACK_WAIT_SECONDS
        quiet_since = time.monotonic()
        while output_fd in selector.get_map() and not run.finished():
            now = time.monotonic()
            dumped = b"(most recent call first):" in after_ask
            if now >= until or (dumped and now - quiet_since >= STACK_QUIET_SECONDS):
                return
            before = output.total
            pump(min(until - now, 0.01))
            if output.total != before:
                quiet_since = time.monotonic()

    deadline = start + timeout
    complete = False
    try:
        while not run.finished():
            if reported():
                complete = True
                break
            if cancel is not None and cancel.is_set():
                evidence.cancelled = True
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                evidence.timed_out = True
                break
            if group is not None and cpu_budget is not None:
                used = group.cpu_seconds()
                if used is not None and used >= cpu_budget:
                    evidence.cpu_exceeded = True
                    break
            pump(min(remaining, 0.05))
        if evidence.timed_out or evidence.cpu_exceeded:
            ask_for_stacks()
        kill_group(run.pid)
        evidence.returncode = 0 if complete else run.wait(EXIT_WAIT_SECONDS)
        with contextlib.suppress(KeyError):
            if run.wake_fd is not None:
                selector.unregister(run.wake_fd)
        # The channel is the judge's alone: it ends with the judge. The output pipe is also
        # the learner process's, which may still be ending: take what it holds, wait for no
        # more (nothing the learner's code writes after the last check can matter).
        drain_until = time.monotonic() + DRAIN_SECONDS
        while channel_fd in selector.get_map() and time.monotonic() < drain_until:
            pump(0.02)
        while selector.get_map() and any(fd != channel_fd for fd in _ready(selector)):
            pump(0)
    finally:
        kill_group(run.pid)
        selector.close()
        run.close()
        if group is not None:
            evidence.cpu_seconds = group.cpu_seconds()
            evidence.oom_killed = group.oom_killed()
            group.send_kill()  # the caller removes it, once every process in it has gone
        os.close(output_fd)
        os.close(channel_fd)
    evidence.duration = time.monotonic() - start
    evidence.records, evidence.garbled_lines = parse_lines(bytes(channel), token)
    evidence.output = output.text()
    evidence.output_truncated = output.truncated
    return evidence


def _ready(selector: selectors.BaseSelector) -> list[int]:
    return [key.fd for key, _ in selector.select(timeout=0)]


def run_cold(
    argv: list[str],
    *,
    cwd: Path,
    channel_read: int,
    channel_write: int,
    timeout: float,
    token: str,
    output_limit: int = OUTPUT_LIMIT,
    cancel: threading.Event | None = None,
    group: RunGroup | None = None,
    cpu_budget: float | None = None,
) -> RunEvidence:
    """Start ``argv`` as a fresh process in its own session and supervise it."""
    out_read, out_write = os.pipe()
    try:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=child_env(os.environ),
            stdin=subprocess.DEVNULL,
            stdout=out_write,
            stderr=out_write,
            pass_fds=(channel_write,),
            start_new_session=True,
        )
    except BaseException:
        for fd in (out_read, channel_read):
            os.close(fd)
        raise
    finally:
        os.close(out_write)
        os.close(channel_write)
    run = PopenRun(proc)
    try:
        return supervise(
            run,
            output_fd=out_read,
            channel_fd=channel_read,
            timeout=timeout,
            token=token,
            output_limit=output_limit,
            cancel=cancel,
            group=group,
            cpu_budget=cpu_budget,
        )
    finally:
        if proc.poll() is None:  # pragma: no cover - only if interrupted mid-run
            proc.kill()
            proc.wait()
