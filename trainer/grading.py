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


def assemble(kata_id: str, file: Path, device: str, timeout: float, ev: RunEvidence) -> Verdict:
    """Turn what was observed into a verdict; every gap in the evidence rules out a pass."""
    env = next((r for r in ev.records if isinstance(r, EnvRecord)), None)
    collected = next((r for r in ev.records if isinstance(r, CollectedRecord)), None)
    collect_errors = [r for r in ev.records if isinstance(r, CollectErrorRecord)]
    import_error = next((r for r in ev.records if isinstance(r, ImportErrorRecord)), None)
    unavailable = next((r for r in ev.records if isinstance(r, UnavailableRecord)), None)
    done = next((r for r in ev.records if isinstance(r, DoneRecord)), None)
    started = [r.id for r in ev.records if isinstance(r, StartRecord)]
    results: dict[str, ResultRecord] = {}
    for record in ev.records:
        if isinstance(record, ResultRecord):
            results.setdefault(record.id, record)

    expected = collected.checks if collected else ()
    in_flight = next((i for i in reversed(started) if i not in results), None)
    checks: list[CheckResult] = []
    for info in expected:
        result = results.get(info.id)
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
            continue
        if info.id == in_flight:
            status = CheckStatus.TIMEOUT if ev.timed_out else CheckStatus.ERROR
            message = (
                f"still running when the {timeout:g} s limit ran out"
                if ev.timed_out
                else "the grading process died while this check ran"
            )
        else:
            status, message = CheckStatus.NOT_RUN, "not run"
        checks.append(CheckResult(id=info.id, name=info.name, status=status, message=message))

    device_used = env.device if env else device
    status, summary = _judge(ev, checks, expected_ids={c.id for c in expected}, timeout=timeout,
                             results=results, collected=collected is not None,
                             collect_errors=collect_errors, import_error=import_error,
                             unavailable=unavailable, done=done, in_flight=in_flight,
                             names={c.id: c.name for c in expected})
    return Verdict(
        kata_id=kata_id,
        status=status,
        summary=summary,
        checks=tuple(checks),
        output=ev.output,
        output_truncated=ev.output_truncated,
        duration=round(ev.duration, 3),
        device=device_used,
        file=str(file),
        environment=_environment(env),
    )


def _judge(
    ev: RunEvidence,
    checks: list[CheckResult],
    *,
    expected_ids: set[str],
    timeout: float,
    results: dict[str, ResultRecord],
    collected: bool,
    collect_errors: list[CollectErrorRecord],
    import_error: ImportErrorRecord | None,
    unavailable: UnavailableRecord | None,
    done: DoneRecord | None,
    in_flight: str | None,
    names: dict[str, str],
) -> tuple[Status, str]:
    if ev.timed_out:
        where = f" while running '{names[in_flight]}'" if in_flight in names else ""
        return Status.TIMEOUT, f"timed out after {timeout:g} s{where}; the process was killed"
    if unavailable is not None:
        return Status.UNAVAILABLE, f"not verified here: {unavailable.reason}"
    if collect_errors:
        return Status.ERROR, collect_errors[0].message
    if ev.returncode is not None and ev.returncode < 0:
        return Status.CRASHED, (
            f"the grading process was killed by {_signal_name(ev.returncode)}"
            + (" (a segmentation fault)" if ev.returncode == -signal.SIGSEGV else "")
        )
    missing = expected_ids - results.keys()
    if done is None or not collected or missing or ev.returncode != 0:
        if import_error is not None:
            return Status.ERROR, import_error.message
        reasons = []
        if done is None:
            reasons.append("it never reported finishing")
        if missing:
            reasons.append(f"{_plural(len(missing), 'check')} never reported")
        if ev.returncode not in (0, None):
            reasons.append(f"it exited with code {ev.returncode}")
        if not collected and done is not None:
            reasons.append("no list of checks arrived")
        return Status.CRASHED, (
            "the grading process ended early: " + ", ".join(reasons)
            + " (does your code call exit(), os._exit() or kill the process?)"
        )
    if ev.garbled_lines:
        return Status.CRASHED, (
            f"the result channel held {_plural(ev.garbled_lines, 'unreadable line')}; "
            "the run cannot be trusted"
        )
    if not checks:
        return Status.ERROR, "the kata has no checks, so nothing could be verified"
    if import_error is not None:
        return Status.ERROR, import_error.message
    counts = {s: sum(c.status is s for c in checks) for s in CheckStatus}
    total = len(checks)
    passed = counts[CheckStatus.PASSED]
    if counts[CheckStatus.ERROR]:
        first = next(c for c in checks if c.status is CheckStatus.ERROR)
        return Status.ERROR, f"{_plural(counts[CheckStatus.ERROR], 'check')} could not run: " + (
            first.message.splitlines()[0] if first.message else first.name
        )
    if counts[CheckStatus.FAILED]:
        return Status.FAILED, f"{passed} of {total} checks passed"
    if passed != total:
        skipped = total - passed
        return Status.ERROR, (
            f"{_plural(skipped, 'check')} did not run (skipped), so the kata is not verified; "
            "a pass needs every check to run"
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
            kata, path, device, Status.UNAVAILABLE,
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
            "--checks", str(kata.checks.resolve()),
            "--learner", str(path.resolve()),
            "--device", device,
            "--allowed-devices", ",".join(kata.spec.devices),
            "--channel-fd", str(write_fd),
            "--module-name", Path(kata.spec.file).stem,
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
