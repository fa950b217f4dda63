"""From evidence to verdict: what one grading run observed, judged fail-closed.

Every gap in the evidence (a missing record, an unobserved exit, a garbled line) rules out a
pass; the verdict says which gap it was, in words a learner can act on.
"""

from __future__ import annotations

import platform
import signal
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from trainer import __version__
from trainer.grading.protocol import (
    CheckInfo,
    CollectedRecord,
    CollectErrorRecord,
    DoneRecord,
    EnvRecord,
    ImportErrorRecord,
    LearnerEndedRecord,
    LimitRecord,
    Record,
    ResultRecord,
    SandboxRecord,
    StartRecord,
    UnavailableRecord,
)
from trainer.grading.stacks import describe, extract
from trainer.grading.supervise import RunEvidence
from trainer.grading.verdict import (
    CheckResult,
    CheckStatus,
    Environment,
    StackFrame,
    Status,
    Verdict,
)


def _signal_name(returncode: int) -> str:
    try:
        return signal.Signals(-returncode).name
    except ValueError:
        return f"signal {-returncode}"


def environment(env: EnvRecord | None, sandbox: SandboxRecord | None = None) -> Environment:
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
        sandbox=sandbox.applied if sandbox else (),
        sandbox_missing=sandbox.missing if sandbox else (),
    )


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


@dataclass
class ChannelReport:
    """The result channel's records, checked against the only order a genuine run produces.

    A genuine child sends: ``env``; then ``unavailable``, or any ``collect_error`` records, one
    ``collected``, one ``sandbox``, and for each collected check in order ``start``, perhaps an
    ``import_error``/``limit``/``learner_ended``, and its ``result``; then ``done``. A truncated run
    (timeout, crash) sends a prefix of that. Anything else was written by someone else.
    """

    env: EnvRecord | None = None
    collected: CollectedRecord | None = None
    collect_error: CollectErrorRecord | None = None
    sandbox: SandboxRecord | None = None
    import_error: ImportErrorRecord | None = None
    limit: LimitRecord | None = None
    ended: LearnerEndedRecord | None = None
    unavailable: UnavailableRecord | None = None
    done: DoneRecord | None = None
    started: list[str] = field(default_factory=list)
    results: dict[str, ResultRecord] = field(default_factory=dict)
    violation: str | None = None
    ended_in: str | None = None
    """The check that was running when the learner process ended."""

    @classmethod
    def of(cls, records: Iterable[Record]) -> ChannelReport:
        report = cls()
        for record in records:
            problem = report._take(record)
            if problem is not None:
                report.violation = f"{problem} ({record.kind} record)"
                break
        return report

    def _stage(self) -> str:
        if self.done is not None:
            return "done"
        if self.env is None:
            return "start"
        if self.unavailable is not None:
            return "unavailable"
        if self.collected is None:
            return "collecting"
        if self.sandbox is None:
            return "collected"
        if self.started and self.started[-1] not in self.results:
            return "running"
        return "between"

    def _take(self, record: Record) -> str | None:
        stage = self._stage()
        if stage == "done":
            return "a record after the end of the run"
        if isinstance(record, EnvRecord):
            if stage != "start":
                return "a second environment"
            self.env = record
        elif stage == "start":
            return "a record before the environment"
        elif isinstance(record, UnavailableRecord | CollectErrorRecord | CollectedRecord):
            if stage != "collecting":
                return "collection records after collection"
            if isinstance(record, UnavailableRecord):
                self.unavailable = record
            elif isinstance(record, CollectErrorRecord):
                self.collect_error = self.collect_error or record
            else:
                self.collected = record
        elif isinstance(record, SandboxRecord):
            if stage != "collected":
                return "a sandbox record out of place"
            self.sandbox = record
        elif isinstance(record, StartRecord):
            expected = [c.id for c in self.expected]
            position = len(self.started)
            if stage != "between" or position >= len(expected) or record.id != expected[position]:
                return "a check started out of order"
            self.started.append(record.id)
        elif isinstance(record, ImportErrorRecord | LimitRecord | LearnerEndedRecord):
            slot = {
                ImportErrorRecord: "import_error",
                LimitRecord: "limit",
                LearnerEndedRecord: "ended",
            }
            name = slot[type(record)]
            if stage != "running" or getattr(self, name) is not None:
                return "a report outside a check, or repeated"
            setattr(self, name, record)
            if isinstance(record, LearnerEndedRecord):
                self.ended_in = self.started[-1]
        elif isinstance(record, ResultRecord):
            if stage != "running" or record.id != self.started[-1]:
                return "a result for a check that was not running"
            self.results[record.id] = record
        elif isinstance(record, DoneRecord):
            if stage == "running":
                return "the end of the run in the middle of a check"
            self.done = record
        return None

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
        elif info.id == report.in_flight and (ev.timed_out or out_of_cpu(ev, timeout)):
            clock = "wall-clock" if ev.timed_out else "CPU time"
            message = f"still running when the {clock} limit ran out"
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
    clock: Literal["cpu", "wall"] | None = None
    output = ev.output
    stopped_at: tuple[StackFrame, ...] = ()
    if status is Status.TIMEOUT:
        ended_cpu = report.ended is not None and report.ended.cpu
        clock = "cpu" if out_of_cpu(ev, timeout) or ended_cpu else "wall"
        stopped_at, output = _stopped_at(ev, file)
        if stopped_at:
            summary = f"{summary}\n{describe(stopped_at)}"
    return Verdict(
        clock=clock,
        stopped_at=stopped_at,
        kata_id=kata_id,
        status=status,
        summary=summary,
        checks=tuple(checks),
        output=output,
        output_truncated=ev.output_truncated,
        duration=round(ev.duration, 3),
        phases=report.done.phases if report.done is not None else {},
        device=report.env.device if report.env else device,
        file=str(file),
        environment=environment(report.env, report.sandbox),
    )


def _stopped_at(ev: RunEvidence, file: Path) -> tuple[tuple[StackFrame, ...], str]:
    """Where the learner's code was when a run out of time was stopped, from the stack dump
    the learner process wrote to its output (its word; see :mod:`trainer.grading.stacks`), and
    the output without that dump."""
    if "(most recent call first):" not in ev.output:
        return (), ev.output
    try:
        source: str | None = file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        source = None
    return extract(ev.output, ev.learner_file or file.name, source)


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
    if ev.returncode is None:
        reasons.append("its exit was never observed")
    elif ev.returncode != 0:
        reasons.append(f"it exited with code {ev.returncode}")
    return ", ".join(reasons) or None


def out_of_cpu(ev: RunEvidence, budget: float) -> bool:
    """Whether the run was stopped for its CPU time: by the cgroup's count or by RLIMIT_CPU."""
    if ev.cpu_exceeded or ev.returncode == -signal.SIGXCPU:
        return True
    return bool(
        ev.returncode == -signal.SIGKILL and ev.cpu_seconds is not None and ev.cpu_seconds >= budget
    )


def _judge(
    ev: RunEvidence, report: ChannelReport, checks: list[CheckResult], timeout: float
) -> tuple[Status, str]:
    names = {c.id: c.name for c in report.expected}
    running = report.in_flight or report.ended_in
    where = f" while running '{names[running]}'" if running in names else ""
    used_up = (
        f"used up its {timeout:g} s of CPU time{where} (its budget; {ev.duration:.1f} s on the "
        "clock); the process was killed"
    )
    if out_of_cpu(ev, timeout):
        return Status.TIMEOUT, used_up
    if ev.timed_out:
        return Status.TIMEOUT, (
            f"timed out after {ev.wall_timeout or timeout:g} s of wall-clock time{where} "
            f"(the backstop for its {timeout:g} s of CPU time: waiting, sleeping or a machine "
            "too busy); the process was killed"
        )
    if ev.oom_killed:
        return Status.ERROR, (
            f"your code exceeded the memory limit of {ev.memory_mb} MB (counted over all its "
            "processes, shared memory included) and was killed"
        )
    if report.violation is not None or ev.garbled_lines:
        detail = report.violation or (
            f"{_plural(ev.garbled_lines, 'line')} not written by the grader"
        )
        return Status.ERROR, f"the result channel was tampered with: {detail}; this run cannot pass"
    if report.unavailable is not None:
        return Status.UNAVAILABLE, f"not verified here: {report.unavailable.reason}"
    if report.collect_error is not None:
        return Status.ERROR, report.collect_error.message
    if report.ended is not None:
        reason = report.ended.reason
        if report.ended.cpu:
            return Status.TIMEOUT, used_up
        if reason.startswith("ended: "):
            return Status.CRASHED, (
                f"the process running your code ended early{where}: {reason[7:]} "
                "(does your code call exit(), os._exit() or kill the process?)"
            )
        return Status.CRASHED, f"the process running your code {reason}{where}"
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
    if report.limit is not None:
        return Status.ERROR, report.limit.message
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
