"""What a failed grading tells the learner: an import failure said once, a timeout that says
where the learner's code was when it was stopped.

The gradings run for real through both paths (a fresh process, a warm worker's fork); the
stack dump's parser and the supervisor's request for it are also tested on their own.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.kata_factory import make_kata
from trainer.cli.app import main
from trainer.grading import grader as grader_module
from trainer.grading import worker_client
from trainer.grading.evidence import assemble
from trainer.grading.grader import Grader, grade
from trainer.grading.protocol import (
    NOT_IMPORTED,
    NOT_RUN_ENDED,
    CheckInfo,
    CollectedRecord,
    DoneRecord,
    EnvRecord,
    Record,
    ResultRecord,
    SandboxRecord,
    StartRecord,
)
from trainer.grading.stacks import STACK_SIGNAL, describe, extract
from trainer.grading.supervise import STACK_WAIT_SECONDS, PopenRun, RunEvidence, supervise
from trainer.grading.verdict import CheckStatus, StackFrame, Status, Verdict
from trainer.kata.loader import load_kata
from trainer.kata.model import Kata

GradeFn = Callable[..., Verdict]

CHECKS = '''
def test_first(learner):
    """doubles a number"""
    assert learner.double(3) == 6


def test_second(learner):
    """doubles another"""
    assert learner.double(2) == 4
'''

TIMEOUT = 2.0
"""The CPU budget of the gradings a limit ends."""

WHERE = "where your code was when it was stopped, as the process running it reported"

SYNTAX_ERROR = "def double(x):\n    return x *\n"

RAISES_AT_IMPORT = 'def lookup():\n    return {}["missing"]\n\n\nTABLE = lookup()\n'

# The loop on one line: a stop lands on the body or on the jump back, the `while` line.
HELPER_LOOP = """def spin(n):
    total = 0
    while True: total += n


def double(x):
    y = 2 * x
    spin(1)
    return y
"""

TORCH_LOOP = """import torch


def double(x):
    a = torch.ones(4000, 4000)
    while True:
        a = torch.mm(a, a)
"""

HELPER_SLEEPS = """import os
import time


def nap():
    while True:
        time.sleep(100)


def double(x):
    if os.fork() == 0:
        nap()  # a child's stack is not the graded process's: it never answers
    nap()
"""

BLOCKS_THE_SIGNAL = f"""import signal
import time

signal.pthread_sigmask(signal.SIG_BLOCK, {{signal.{STACK_SIGNAL.name}}})
signal.signal(signal.{STACK_SIGNAL.name}, signal.SIG_IGN)


def double(x):
    time.sleep(100)
"""


@pytest.fixture(scope="module")
def kata(tmp_path_factory: pytest.TempPathFactory) -> Kata:
    pack = tmp_path_factory.mktemp("pack")
    root = make_kata(pack, "spin", checks=CHECKS, timeout=TIMEOUT, file="spin.py")
    return load_kata(root, pack)


@pytest.fixture(scope="module", params=["cold", "warm"])
def grade_fn(request: pytest.FixtureRequest) -> Iterator[GradeFn]:
    if request.param == "cold":
        yield grade
    else:
        with Grader(1) as warm:
            warm.wait_ready()
            yield warm.grade


def run(grade_fn: GradeFn, kata: Kata, tmp_path: Path, source: str) -> Verdict:
    path = tmp_path / "spin.py"
    path.write_text(source, encoding="utf-8")
    verdict = grade_fn(kata, path)
    owner = getattr(grade_fn, "__self__", None)
    if isinstance(owner, Grader):
        owner.settle()
    return verdict


# -- an import failure is said once --------------------------------------------------------


def _said_once(verdict: Verdict, what: str) -> None:
    assert verdict.status is Status.ERROR
    assert verdict.to_json().count(what) == 1, verdict.to_json()
    assert what in verdict.summary
    assert [c.status for c in verdict.checks] == [CheckStatus.NOT_RUN] * 2
    assert {c.message for c in verdict.checks} == {NOT_IMPORTED}


def test_a_syntax_error_is_said_once_with_its_line_and_caret(
    grade_fn: GradeFn, kata: Kata, tmp_path: Path
) -> None:
    verdict = run(grade_fn, kata, tmp_path, SYNTAX_ERROR)
    _said_once(verdict, "invalid syntax")
    assert verdict.summary.splitlines() == [
        "your file has a syntax error at line 2: invalid syntax",
        "    return x *",
        "              ^",  # where Python puts it: after the operator, where an operand is due
    ]


def test_an_exception_at_import_is_said_once_with_its_line(
    grade_fn: GradeFn, kata: Kata, tmp_path: Path
) -> None:
    verdict = run(grade_fn, kata, tmp_path, RAISES_AT_IMPORT)
    _said_once(verdict, "KeyError")
    assert "your file failed to import: KeyError" in verdict.summary
    assert "spin.py, line 2" in verdict.summary


def test_katas_check_prints_an_import_failure_once(
    kata: Kata, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KATAS_WORKSPACE", str(tmp_path / "ws"))
    path = tmp_path / "spin.py"
    path.write_text(SYNTAX_ERROR, encoding="utf-8")
    argv = ["--pack", str(kata.pack), "check", "spin", "--file", str(path)]
    main(argv)
    out = capsys.readouterr().out
    assert out.count("invalid syntax") == 1, out
    assert out.count(NOT_IMPORTED) == 2, out
    lines = [line.rstrip() for line in out.splitlines()]
    source = next(i for i, line in enumerate(lines) if line.strip() == "return x *")
    assert lines[source + 1].index("^") == lines[source].index("*") + 1, out


# -- a timeout says where the learner's code was ------------------------------------------


def _stopped_in(verdict: Verdict, *frames: tuple[int, str, str]) -> None:
    """The verdict is a timeout whose innermost frames of the learner's file are ``frames``
    (line, function, code), outermost first; none of the trainer's or torch's."""
    assert verdict.status is Status.TIMEOUT, verdict.summary
    got = [(f.line, f.function, f.code) for f in verdict.stopped_at]
    assert got == list(frames), verdict.summary + "\n" + verdict.output
    assert {f.file for f in verdict.stopped_at} == {"spin.py"}
    assert WHERE in verdict.summary
    for line, function, code in frames:
        assert f"spin.py, line {line}, in {function}\n    {code}" in verdict.summary
    assert "trainer" not in verdict.summary and "torch/" not in verdict.summary
    assert "most recent call first" not in verdict.output  # the raw dump is not "your output"


def test_an_endless_loop_names_the_helper_and_its_caller(
    grade_fn: GradeFn, kata: Kata, tmp_path: Path
) -> None:
    verdict = run(grade_fn, kata, tmp_path, HELPER_LOOP)
    _stopped_in(verdict, (8, "double", "spin(1)"), (3, "spin", "while True: total += n"))
    assert verdict.clock == "cpu"
    # Once, under a CI run's load, the cold grading named the second check as the one running
    # (the first had ended without a pass); which check the budget ends in is not the point.
    assert f"used up its {TIMEOUT:g} s of CPU time while running '" in verdict.summary
    assert CheckStatus.TIMEOUT in [c.status for c in verdict.checks]
    assert CheckStatus.PASSED not in [c.status for c in verdict.checks]


def test_a_loop_inside_a_torch_call_names_the_line_that_called_torch(
    grade_fn: GradeFn, kata: Kata, tmp_path: Path
) -> None:
    verdict = run(grade_fn, kata, tmp_path, TORCH_LOOP)
    _stopped_in(verdict, (7, "double", "a = torch.mm(a, a)"))


def test_the_per_process_cpu_limit_names_the_frames_too(
    kata: Kata, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a cgroup the process's own RLIMIT_CPU ends it (SIGXCPU): the same frames, the
    same timeout, and the later check points to the summary instead of repeating it."""
    monkeypatch.setenv("KATAS_SANDBOX_SKIP", "cgroups")
    verdict = run(grade, kata, tmp_path, HELPER_LOOP)
    _stopped_in(verdict, (8, "double", "spin(1)"), (3, "spin", "while True: total += n"))
    assert verdict.clock == "cpu"
    assert "while running '" in verdict.summary
    stopped = [c for c in verdict.checks if c.status is CheckStatus.TIMEOUT]
    assert [c.message for c in stopped] == ["still running when the CPU time limit ran out"]
    after = verdict.checks[verdict.checks.index(stopped[0]) + 1 :]
    assert all((c.status, c.message) == (CheckStatus.NOT_RUN, NOT_RUN_ENDED) for c in after)
    assert CheckStatus.PASSED not in [c.status for c in verdict.checks]


@pytest.fixture
def short_backstop(monkeypatch: pytest.MonkeyPatch) -> float:
    """A wall-clock backstop of 3 times the budget, not 4: a sleeper ends sooner, and a cold
    grading on a busy machine still reaches the learner's code well before it."""
    monkeypatch.setattr(grader_module, "WALL_FACTOR", 3.0)
    monkeypatch.setattr(worker_client, "WALL_FACTOR", 3.0)
    return 3.0 * TIMEOUT


def test_the_wall_clock_backstop_names_the_frames_and_what_it_waited(
    grade_fn: GradeFn, kata: Kata, tmp_path: Path, short_backstop: float
) -> None:
    verdict = run(grade_fn, kata, tmp_path, HELPER_SLEEPS)
    _stopped_in(verdict, (13, "double", "nap()"), (7, "nap", "time.sleep(100)"))
    assert verdict.clock == "wall"
    assert f"timed out after {short_backstop:g} s of wall-clock time" in verdict.summary
    assert f"the backstop for its {TIMEOUT:g} s of CPU time" in verdict.summary


def test_a_process_that_blocks_the_signal_still_times_out_without_frames(
    grade_fn: GradeFn, kata: Kata, tmp_path: Path, short_backstop: float
) -> None:
    start = time.monotonic()
    verdict = run(grade_fn, kata, tmp_path, BLOCKS_THE_SIGNAL)
    elapsed = time.monotonic() - start
    assert verdict.status is Status.TIMEOUT
    assert verdict.stopped_at == ()
    assert WHERE not in verdict.summary
    assert elapsed < short_backstop + STACK_WAIT_SECONDS + 3, elapsed  # no hang


# -- the parts, on their own ---------------------------------------------------------------

LEARNER = "/tmp/katas-grade-x/spin.py"

DUMP = f"""Thread 0x00007f27f5e4f6c0 (most recent call first):
  File "{LEARNER}", line 40 in worker
  File "/usr/lib/python3.11/threading.py", line 982 in run

Current thread 0x00007f27f69d5b80 (most recent call first):
  File "/site-packages/torch/nn/functional.py", line 10 in linear
  File "{LEARNER}", line 4 in spin
  File "{LEARNER}", line 9 in double
  File "/work/trainer/grading/learner/server.py", line 160 in op_call
  File "<frozen runpy>", line 88 in _run_code"""

SOURCE = "\n".join(f"code of line {n}" for n in range(1, 50))


def test_extract_keeps_the_learner_frames_of_the_current_thread_outermost_first() -> None:
    frames, rest = extract(f"before\n{DUMP}\nafter\n", LEARNER, SOURCE)
    assert [(f.line, f.function, f.code) for f in frames] == [
        (9, "double", "code of line 9"),
        (4, "spin", "code of line 4"),
    ]
    assert {f.file for f in frames} == {"spin.py"}
    assert rest == "before\nafter\n"


def test_extract_matches_the_learner_path_not_a_file_of_the_same_name() -> None:
    """torch has files named like kata files (``functional.py``, ``linear.py``)."""
    frames, rest = extract(DUMP, "/tmp/katas-grade-x/functional.py", SOURCE)
    assert frames == ()
    assert rest == ""  # the dump is the trainer's noise, not the learner's output


def test_extract_keeps_the_innermost_few_frames() -> None:
    deep = "\n".join(f'  File "{LEARNER}", line {n} in f{n}' for n in range(1, 30))
    frames, _ = extract(f"Stack (most recent call first):\n{deep}\n", LEARNER, keep=3)
    assert [f.line for f in frames] == [3, 2, 1]
    assert all(f.code == "" for f in frames)


@pytest.mark.parametrize(
    "output",
    [
        "",
        "plain output\n",
        'File "/tmp/katas-grade-x/spin.py", line 3 in f\n',  # frames without a header
        "Current thread 0x1 (most recent call first):\n  garbage\n",
        "\x00\xff" * 1000,
    ],
)
def test_extract_finds_no_frames_in_anything_else(output: str) -> None:
    frames, rest = extract(output, LEARNER, SOURCE)
    assert frames == ()
    assert rest == output or "most recent call first" in output


def test_made_up_frames_are_shown_as_reported_without_control_characters() -> None:
    """A learner's code may print a dump of its own: its frames are its word (the message
    says so), never a way to move the terminal's cursor or to name another file."""
    made_up = (
        "Current thread 0x1 (most recent call first):\n"
        f'  File "{LEARNER}", line 2 in \\x1b[2Jgone\n'
        f'  File "/tmp/katas-grade-y/spin.py", line 3 in elsewhere\n'
        f'  File "{LEARNER}", line {"9" * 9} in far\n'
        f'  File "{LEARNER}", line 1 in {"x" * 5000}\n'
    )
    frames, rest = extract(made_up, LEARNER, "a\nb\x1bc\n")
    assert [(f.line, f.function, f.code) for f in frames] == [
        (999_999_999, "far", ""),
        (2, "?[2Jgone", "b?c"),
    ]
    assert rest == f'  File "{LEARNER}", line 1 in {"x" * 5000}\n'  # too long to be a frame


def test_describe_says_whose_word_the_frames_are() -> None:
    frames = (StackFrame(file="spin.py", line=4, function="spin", code="total += n"),)
    assert describe(frames) == (
        f"{WHERE} (most recent call last):\n  spin.py, line 4, in spin\n    total += n"
    )
    assert describe(()) == ""


ENV = EnvRecord(python="3", platform="linux", torch="2", device="cpu")
TWO = CollectedRecord(checks=(CheckInfo(id="a", name="A"), CheckInfo(id="b", name="B")))


def test_a_timeout_verdict_takes_the_frames_out_of_the_output(tmp_path: Path) -> None:
    learner = tmp_path / "spin.py"
    learner.write_text(SOURCE, encoding="utf-8")
    records: list[Record] = [ENV, TWO, SandboxRecord(), StartRecord(id="a")]
    ev = RunEvidence(records=records, returncode=-9, timed_out=True, wall_timeout=8.0)
    ev.output, ev.learner_file = f"hello\n{DUMP}\n", LEARNER
    verdict = assemble("k", learner, "cpu", 2.0, ev)
    assert verdict.status is Status.TIMEOUT
    assert [f.line for f in verdict.stopped_at] == [9, 4]
    assert verdict.output == "hello\n"
    assert "spin.py, line 4, in spin\n    code of line 4" in verdict.summary


def test_other_verdicts_leave_a_dump_in_the_output(tmp_path: Path) -> None:
    records: list[Record] = [ENV, TWO, SandboxRecord(), StartRecord(id="a")]
    records += [ResultRecord(id="a", status=CheckStatus.FAILED), StartRecord(id="b")]
    records += [ResultRecord(id="b", status=CheckStatus.PASSED), DoneRecord(exit_code=1)]
    ev = RunEvidence(records=records, returncode=0, output=DUMP, learner_file=LEARNER)
    verdict = assemble("k", tmp_path / "spin.py", "cpu", 2.0, ev)
    assert verdict.status is Status.FAILED
    assert verdict.stopped_at == () and verdict.output == DUMP


def _stand_in(tmp_path: Path, answer: str) -> tuple[PopenRun, int, int]:
    """A child in a session of its own that stands in for a judge: on the stack signal it
    writes ``answer`` (a dump, or nothing) to its output; it never ends by itself."""
    script = tmp_path / "judge.py"
    script.write_text(
        "import os, signal, time\n"
        f"signal.signal({int(STACK_SIGNAL)}, lambda *_: os.write(1, {answer.encode()!r}))\n"
        "os.write(1, b'ready\\n')\n"
        "while True:\n    time.sleep(1)\n",
        encoding="utf-8",
    )
    out_read, out_write = os.pipe()
    chan_read, chan_write = os.pipe()
    proc = subprocess.Popen(
        [sys.executable, str(script)],
        stdout=out_write,
        stderr=out_write,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    os.close(out_write)
    os.close(chan_write)
    assert os.read(out_read, 6) == b"ready\n"
    return PopenRun(proc), out_read, chan_read


class _SpentGroup:
    """A run's cgroup that says the CPU budget is spent."""

    def cpu_seconds(self) -> float:
        return 99.0

    def oom_killed(self) -> bool:
        return False

    def send_kill(self) -> None:
        pass


def test_supervise_asks_for_the_stacks_when_the_cpu_budget_is_spent(tmp_path: Path) -> None:
    run_, out, channel = _stand_in(tmp_path, f"{DUMP}\n")
    evidence = supervise(
        run_,
        output_fd=out,
        channel_fd=channel,
        timeout=30.0,
        token="t",
        group=_SpentGroup(),  # type: ignore[arg-type]
        cpu_budget=1.0,
    )
    assert evidence.cpu_exceeded and not evidence.timed_out
    assert DUMP in evidence.output
    assert evidence.duration < STACK_WAIT_SECONDS + 1
    assert evidence.returncode == -signal.SIGKILL


def test_supervise_waits_only_a_moment_for_stacks_that_never_come(tmp_path: Path) -> None:
    run_, out, channel = _stand_in(tmp_path, "")
    evidence = supervise(run_, output_fd=out, channel_fd=channel, timeout=0.2, token="t")
    assert evidence.timed_out
    assert evidence.duration < 0.2 + STACK_WAIT_SECONDS + 0.5
    assert evidence.returncode == -signal.SIGKILL
