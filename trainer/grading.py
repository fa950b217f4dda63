"""Grade a learner file against a kata's hidden checks, in a child process, fail-closed.

Learner code is untrusted: it runs only in a child process (``trainer.runner``) in its own
process group and temporary working directory, under the kata's timeout, with its output
captured and capped. The child reports over a pipe of the grader's own; the verdict is then
assembled here from that evidence alone, and anything missing counts against a pass.
"""

from __future__ import annotations

import contextlib
import os
import platform
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from trainer import __version__
from trainer.model import Kata
from trainer.protocol import (
    CheckInfo,
    CollectedRecord,
    CollectErrorRecord,
    DoneRecord,
    EnvRecord,
    ImportErrorRecord,
    Record,
    ResultRecord,
    StartRecord,
    UnavailableRecord,
    parse_lines,
)
from trainer.verdict import CheckResult, CheckStatus, Environment, Status, Verdict

OUTPUT_LIMIT = 64 * 1024
"""Bytes of captured output kept per run (head and tail); the rest is counted and cut."""

CHANNEL_LIMIT = 4 * 1024 * 1024
"""A result channel larger than this is not a real report; reading stops there."""

DRAIN_SECONDS = 0.5
"""How long to keep reading pipes after the child has gone (a grandchild may hold them)."""


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


def _child_env(base: Mapping[str, str]) -> dict[str, str]:
    env = dict(base)
    env.update(
        PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONUNBUFFERED="1",
        PYTHONIOENCODING="utf-8",
        PYTHONHASHSEED="0",
    )
    for name in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTHONSTARTUP", "PYTHONINSPECT"):
        env.pop(name, None)
    return env


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def run_child(
    argv: list[str],
    *,
    timeout: float,
    cwd: Path,
    channel_read: int,
    channel_write: int,
    output_limit: int = OUTPUT_LIMIT,
) -> RunEvidence:
    """Run ``argv`` in a new process group and collect its output and its result records.

    The whole group is killed when the time is up and again once the child has gone, so no
    grandchild outlives the run (one that escapes into a new session is the hardening work's).
    """
    start = time.monotonic()
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=_child_env(os.environ),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        pass_fds=(channel_write,),
        start_new_session=True,
    )
    os.close(channel_write)
    assert proc.stdout is not None
    output = CappedOutput(output_limit)
    channel = bytearray()
    evidence = RunEvidence()
    selector = selectors.DefaultSelector()
    out_fd = proc.stdout.fileno()
    selector.register(out_fd, selectors.EVENT_READ, "out")
    selector.register(channel_read, selectors.EVENT_READ, "channel")

    def pump(wait: float) -> None:
        for key, _ in selector.select(timeout=wait):
            data = os.read(key.fd, 65536)
            if not data:
                selector.unregister(key.fd)
            elif key.data == "out":
                output.feed(data)
            elif len(channel) < CHANNEL_LIMIT:
                channel.extend(data)

    deadline = start + timeout
    try:
        while proc.poll() is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                evidence.timed_out = True
                break
            if selector.get_map():
                pump(min(remaining, 0.2))
            else:
                time.sleep(min(remaining, 0.02))
        _kill_group(proc.pid)
        evidence.returncode = proc.wait()
        drain_until = time.monotonic() + DRAIN_SECONDS
        while selector.get_map() and time.monotonic() < drain_until:
            pump(0.05)
    finally:
        _kill_group(proc.pid)
        selector.close()
        proc.stdout.close()
        os.close(channel_read)
        if proc.poll() is None:  # pragma: no cover - only if interrupted mid-run
            proc.kill()
            proc.wait()
    evidence.duration = time.monotonic() - start
    evidence.records, evidence.garbled_lines = parse_lines(bytes(channel))
    evidence.output = output.text()
    evidence.output_truncated = output.truncated
    return evidence


def _signal_name(returncode: int) -> str:
    try:
        return signal.Signals(-returncode).name
    except ValueError:
        return f"signal {-returncode}"


def _environment(env: EnvRecord | None) -> Environment:
    if env is None:
        return Environment(
            trainer=__version__,
            python=platform.python_version(),
            platform=platform.platform(terse=True),
        )
    return Environment(
        trainer=__version__,
        python=env.python,
        platform=env.platform,
        torch=env.torch,
        cuda=env.cuda,
        gpu=env.gpu,
    )


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


@dataclass
class ChannelReport:
    """The result channel's records, sorted by kind (the first of each kind counts)."""

    env: EnvRecord | None = None
    collected: CollectedRecord | None = None
    collect_error: CollectErrorRecord | None = None
    import_error: ImportErrorRecord | None = None
    unavailable: UnavailableRecord | None = None
    done: DoneRecord | None = None
    started: list[str] = field(default_factory=list)
    results: dict[str, ResultRecord] = field(default_factory=dict)

    @classmethod
    def of(cls, records: Iterable[Record]) -> ChannelReport:
        report = cls()
        for record in records:
            if isinstance(record, StartRecord):
                report.started.append(record.id)
            elif isinstance(record, ResultRecord):
                report.results.setdefault(record.id, record)
            else:
                slot = {
                    EnvRecord: "env",
                    CollectedRecord: "collected",
                    CollectErrorRecord: "collect_error",
                    ImportErrorRecord: "import_error",
                    UnavailableRecord: "unavailable",
                    DoneRecord: "done",
                }[type(record)]
                if getattr(report, slot) is None:
                    setattr(report, slot, record)
        return report

    @property
    def expected(self) -> tuple[CheckInfo, ...]:
        return self.collected.checks if self.collected else ()

    @property
    def in_flight(self) -> str | None:
        """The check that had started but not finished when the run ended."""
        return next((i for i in reversed(self.started) if i not in self.results), None)


def _check_results(report: ChannelReport, ev: RunEvidence, timeout: float) -> list[CheckResult]:
    """One result per expected check; a check that never reported is never a pass."""
    checks: list[CheckResult] = []
    for info in report.expected:
        result = report.results.get(info.id)
        if result is not None:
            checks.append(
                CheckResult(
                    id=info.id,
                    name=info.name,
                    status=result.status,
                    message=result.message,
                    duration=result.duration,
                )
            )
        elif info.id == report.in_flight and ev.timed_out:
            message = f"still running when the {timeout:g} s limit ran out"
            checks.append(
                CheckResult(id=info.id, name=info.name, status=CheckStatus.TIMEOUT, message=message)
            )
        elif info.id == report.in_flight:
            message = "the grading process died while this check ran"
            checks.append(
                CheckResult(id=info.id, name=info.name, status=CheckStatus.ERROR, message=message)
            )
        else:
            checks.append(
                CheckResult(
                    id=info.id, name=info.name, status=CheckStatus.NOT_RUN, message="not run"
                )
            )
    return checks


def assemble(kata_id: str, file: Path, device: str, timeout: float, ev: RunEvidence) -> Verdict:
    """Turn what was observed into a verdict; every gap in the evidence rules out a pass."""
    report = ChannelReport.of(ev.records)
    checks = _check_results(report, ev, timeout)
    status, summary = _judge(ev, report, checks, timeout)
    return Verdict(
        kata_id=kata_id,
        status=status,
        summary=summary,
        checks=tuple(checks),
        output=ev.output,
        output_truncated=ev.output_truncated,
        duration=round(ev.duration, 3),
        device=report.env.device if report.env else device,
        file=str(file),
        environment=_environment(report.env),
    )


def _ended_early(ev: RunEvidence, report: ChannelReport) -> str | None:
    """Why the run cannot be complete, or None when every expected record arrived."""
    reasons = []
    if report.done is None:
        reasons.append("it never reported finishing")
    elif report.collected is None:
        reasons.append("no list of checks arrived")
    missing = {c.id for c in report.expected} - report.results.keys()
    if missing:
        reasons.append(f"{_plural(len(missing), 'check')} never reported")
    if ev.returncode not in (0, None):
        reasons.append(f"it exited with code {ev.returncode}")
    return ", ".join(reasons) or None


def _judge(
    ev: RunEvidence, report: ChannelReport, checks: list[CheckResult], timeout: float
) -> tuple[Status, str]:
    names = {c.id: c.name for c in report.expected}
    if ev.timed_out:
        running = report.in_flight
        where = f" while running '{names[running]}'" if running in names else ""
        return Status.TIMEOUT, f"timed out after {timeout:g} s{where}; the process was killed"
    if report.unavailable is not None:
        return Status.UNAVAILABLE, f"not verified here: {report.unavailable.reason}"
    if report.collect_error is not None:
        return Status.ERROR, report.collect_error.message
    if ev.returncode is not None and ev.returncode < 0:
        segv = " (a segmentation fault)" if ev.returncode == -signal.SIGSEGV else ""
        return Status.CRASHED, (
            f"the grading process was killed by {_signal_name(ev.returncode)}{segv}"
        )
    early = _ended_early(ev, report)
    if early is not None and report.import_error is None:
        return Status.CRASHED, (
            f"the grading process ended early: {early} "
            "(does your code call exit(), os._exit() or kill the process?)"
        )
    if report.import_error is not None:
        return Status.ERROR, report.import_error.message
    if ev.garbled_lines:
        return Status.CRASHED, (
            f"the result channel held {_plural(ev.garbled_lines, 'unreadable line')}; "
            "the run cannot be trusted"
        )
    if not checks:
        return Status.ERROR, "the kata has no checks, so nothing could be verified"
    counts = {s: sum(c.status is s for c in checks) for s in CheckStatus}
    total, passed = len(checks), counts[CheckStatus.PASSED]
    if counts[CheckStatus.ERROR]:
        first = next(c for c in checks if c.status is CheckStatus.ERROR)
        detail = first.message.splitlines()[0] if first.message else first.name
        return (
            Status.ERROR,
            f"{_plural(counts[CheckStatus.ERROR], 'check')} could not run: {detail}",
        )
    if counts[CheckStatus.FAILED]:
        return Status.FAILED, f"{passed} of {total} checks passed"
    if passed != total:
        return Status.ERROR, (
            f"{_plural(total - passed, 'check')} did not run (skipped), so the kata is not "
            "verified; a pass needs every check to run"
        )
    return Status.PASSED, f"all {_plural(total, 'check')} passed"


def _fail_fast(kata: Kata, path: Path, device: str, status: Status, summary: str) -> Verdict:
    return Verdict(
        kata_id=kata.id,
        status=status,
        summary=summary,
        device=device,
        file=str(path),
        environment=_environment(None),
    )


def grade(
    kata: Kata,
    path: Path,
    device: str = "cpu",
    *,
    timeout: float | None = None,
    output_limit: int = OUTPUT_LIMIT,
) -> Verdict:
    """Grade ``path`` against ``kata``'s hidden checks on ``device`` in a fresh child process.

    ``device`` is ``cpu``, ``cuda``, ``cuda:N``, ``mps`` or ``auto``; the child resolves it, so
    this process never imports torch.
    """
    path = Path(path)
    limit = kata.spec.timeout if timeout is None else timeout
    if device != "auto" and not kata.supports(device):
        return _fail_fast(
            kata,
            path,
            device,
            Status.UNAVAILABLE,
            f"not verified here: this kata runs on {', '.join(kata.spec.devices)}, not {device}",
        )
    if not path.is_file():
        return _fail_fast(kata, path, device, Status.ERROR, f"there is no file at {path}")
    with tempfile.TemporaryDirectory(prefix="katas-grade-") as workdir:
        read_fd, write_fd = os.pipe()
        os.set_inheritable(write_fd, True)
        argv = [
            sys.executable,
            "-m",
            "trainer.runner",
            "--checks",
            str(kata.checks.resolve()),
            "--learner",
            str(path.resolve()),
            "--device",
            device,
            "--allowed-devices",
            ",".join(kata.spec.devices),
            "--channel-fd",
            str(write_fd),
            "--module-name",
            Path(kata.spec.file).stem,
        ]
        evidence = run_child(
            argv,
            timeout=limit,
            cwd=Path(workdir),
            channel_read=read_fd,
            channel_write=write_fd,
            output_limit=output_limit,
        )
    return assemble(kata.id, path, device, limit, evidence)


def grade_many(
    jobs: Iterable[tuple[Kata, Path]], device: str = "cpu", *, workers: int | None = None
) -> list[Verdict]:
    """Grade several files at once over a thread pool (each grade is its own process)."""
    from concurrent.futures import ThreadPoolExecutor

    items = list(jobs)
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 2) as pool:
        return list(pool.map(lambda job: grade(job[0], job[1], device), items))
