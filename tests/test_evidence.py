"""From evidence to verdict: the channel's record order, and every gap ruling out a pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainer.grading.evidence import ChannelReport, assemble
from trainer.grading.protocol import (
    NOT_IMPORTED,
    Channel,
    CheckInfo,
    CollectedRecord,
    DoneRecord,
    EnvRecord,
    ImportErrorRecord,
    Record,
    ResultRecord,
    SandboxRecord,
    StartRecord,
    parse_lines,
)
from trainer.grading.supervise import RunEvidence
from trainer.grading.verdict import CheckStatus, Status

ENV = EnvRecord(python="3", platform="linux", torch="2", device="cpu")
CHECKS = CollectedRecord(checks=(CheckInfo(id="a", name="A"), CheckInfo(id="b", name="B")))


def passed(check: str) -> ResultRecord:
    return ResultRecord(id=check, status=CheckStatus.PASSED)


GENUINE: list[Record] = [
    ENV,
    CHECKS,
    SandboxRecord(applied=("memory 4096 MB",)),
    StartRecord(id="a"),
    passed("a"),
    StartRecord(id="b"),
    passed("b"),
    DoneRecord(exit_code=0),
]


def verdict_for(records: list[Record], **evidence: object):  # type: ignore[no-untyped-def]
    ev = RunEvidence(records=records, returncode=0)
    for key, value in evidence.items():
        setattr(ev, key, value)
    return assemble("k", Path("f.py"), "cpu", 10.0, ev)


def test_a_genuine_run_passes() -> None:
    verdict = verdict_for(GENUINE)
    assert verdict.status is Status.PASSED
    assert verdict.environment.sandbox == ("memory 4096 MB",)


@pytest.mark.parametrize(
    ("records", "problem"),
    [
        ([*GENUINE[:4], passed("b"), *GENUINE[4:]], "not running"),
        ([*GENUINE[:3], StartRecord(id="b"), *GENUINE[4:]], "out of order"),
        ([*GENUINE, DoneRecord(exit_code=0)], "after the end"),
        ([ENV, ENV, *GENUINE[1:]], "second environment"),
        ([*GENUINE[:3], passed("a"), passed("b"), DoneRecord(exit_code=0)], "not running"),
        ([*GENUINE[:4], DoneRecord(exit_code=0)], "middle of a check"),
        ([GENUINE[0], GENUINE[1], GENUINE[3], GENUINE[2], *GENUINE[4:]], "out of"),
        ([CHECKS, *GENUINE], "before the environment"),
    ],
)
def test_forged_or_reordered_records_are_tampering(records: list[Record], problem: str) -> None:
    verdict = verdict_for(records)
    assert verdict.status is Status.ERROR
    assert "tampered" in verdict.summary and problem in verdict.summary


def test_lines_without_the_run_token_are_rejected() -> None:
    class Sink:
        text = ""

        def write(self, data: str) -> None:
            self.text += data

        def flush(self) -> None:
            pass

    sink = Sink()
    channel = Channel(sink, "secret")  # type: ignore[arg-type]
    for record in GENUINE:
        channel.send(record)
    forged = '{"kind":"done","exit_code":0}\n' + "guess " + passed("a").model_dump_json() + "\n"
    records, bad = parse_lines((sink.text + forged).encode(), "secret")
    assert records == GENUINE
    assert bad == 2
    assert verdict_for(records, garbled_lines=bad).status is Status.ERROR


@pytest.mark.parametrize(
    ("cut", "returncode", "status"),
    [
        (7, 0, Status.CRASHED),  # no done record
        (5, 0, Status.CRASHED),  # a check never reported
        (8, 3, Status.CRASHED),  # non-zero exit after a complete report
        (8, None, Status.CRASHED),  # exit never observed (a lost worker)
        (8, -11, Status.CRASHED),  # killed by a signal
    ],
)
def test_every_gap_in_the_evidence_rules_out_a_pass(
    cut: int, returncode: int | None, status: Status
) -> None:
    assert verdict_for(GENUINE[:cut], returncode=returncode).status is status


def test_an_import_error_is_an_error_not_a_crash() -> None:
    records = [
        *GENUINE[:4],
        ImportErrorRecord(message="your file failed to import: NameError"),
        ResultRecord(id="a", status=CheckStatus.NOT_RUN, message=NOT_IMPORTED),
        StartRecord(id="b"),
        ResultRecord(id="b", status=CheckStatus.NOT_RUN, message=NOT_IMPORTED),
        DoneRecord(exit_code=1),
    ]
    verdict = verdict_for(records)
    assert verdict.status is Status.ERROR
    assert verdict.summary == "your file failed to import: NameError"
    assert {c.message for c in verdict.checks} == {NOT_IMPORTED}


def test_the_report_keeps_the_order_it_checked() -> None:
    report = ChannelReport.of(GENUINE)
    assert report.violation is None
    assert report.started == ["a", "b"]
    assert list(report.results) == ["a", "b"]
