"""Every verdict status, produced for real by grading real files in a child process."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.kata_factory import make_kata
from trainer.grading.grader import Grader, grade
from trainer.grading.supervise import CappedOutput
from trainer.grading.verdict import CheckStatus, Status, Verdict
from trainer.kata.loader import load_kata
from trainer.kata.model import Kata

GradeFn = Callable[..., Verdict]

CHECKS = '''
import torch


def test_doubles(learner, device):
    """doubles a tensor"""
    x = torch.arange(4.0, device=device)
    got = learner.double(x)
    assert torch.equal(got, 2 * x), f"expected {(2 * x).tolist()}, got {got.tolist()}"


def test_keeps_dtype(learner, device):
    """keeps the dtype"""
    x = torch.ones(3, dtype=torch.float64, device=device)
    assert learner.double(x).dtype == torch.float64, "the dtype changed"
'''

SOLUTION = "def double(x):\n    return x * 2\n"


SHORT = 3.0
"""CPU seconds for the gradings that only a limit ends (the kata's own 10 s would do, slower)."""


@pytest.fixture(scope="module")
def kata(tmp_path_factory: pytest.TempPathFactory) -> Kata:
    pack = tmp_path_factory.mktemp("pack")
    root = make_kata(
        pack, "double-it", checks=CHECKS, solution=SOLUTION, timeout=10, file="double.py"
    )
    return load_kata(root, pack)


@pytest.fixture(scope="module", params=["cold", "warm"])
def grade_fn(request: pytest.FixtureRequest) -> Iterator[GradeFn]:
    """Every test runs through both paths: a fresh process, and a warm worker's fork."""
    if request.param == "cold":
        yield grade
    else:
        with Grader(1) as grader:
            grader.wait_ready()
            yield grader.grade


def run(grade_fn: GradeFn, kata: Kata, tmp_path: Path, source: str, **kwargs: object) -> Verdict:
    """Grade ``source``; a warm grader's clean-up is finished when this returns."""
    path = tmp_path / "double.py"
    path.write_text(source, encoding="utf-8")
    verdict = grade_fn(kata, path, **kwargs)
    grader = getattr(grade_fn, "__self__", None)
    if isinstance(grader, Grader):
        grader.settle()
    return verdict


def test_a_correct_file_passes_every_check(grade_fn: GradeFn, kata: Kata, tmp_path: Path) -> None:
    verdict = run(grade_fn, kata, tmp_path, SOLUTION + "print('hello from the learner')\n")
    assert verdict.status is Status.PASSED
    assert [c.name for c in verdict.checks] == ["doubles a tensor", "keeps the dtype"]
    assert all(c.status is CheckStatus.PASSED for c in verdict.checks)
    assert "hello from the learner" in verdict.output
    assert verdict.device == "cpu"
    assert verdict.environment.torch
    assert verdict.environment.trainer


def test_a_wrong_file_fails_with_the_checks_message(
    grade_fn: GradeFn, kata: Kata, tmp_path: Path
) -> None:
    verdict = run(grade_fn, kata, tmp_path, "def double(x):\n    return x + 1\n")
    assert verdict.status is Status.FAILED
    first, second = verdict.checks
    assert first.status is CheckStatus.FAILED
    assert first.message == "expected [0.0, 2.0, 4.0, 6.0], got [1.0, 2.0, 3.0, 4.0]"
    assert second.status is CheckStatus.PASSED
    assert verdict.summary == "1 of 2 checks passed"


def test_a_syntax_error_is_an_error_naming_the_line(
    grade_fn: GradeFn, kata: Kata, tmp_path: Path
) -> None:
    verdict = run(grade_fn, kata, tmp_path, "def double(x):\n    return x *\n")
    assert verdict.status is Status.ERROR
    assert "syntax error at line 2" in verdict.summary
    # Said once, in the summary: the checks did not run, and say only that.
    assert all(c.status is CheckStatus.NOT_RUN for c in verdict.checks)


def test_an_exception_at_import_is_an_error_naming_it(
    grade_fn: GradeFn, kata: Kata, tmp_path: Path
) -> None:
    verdict = run(grade_fn, kata, tmp_path, "import math\n\nVALUE = undefined_name\n")
    assert verdict.status is Status.ERROR
    assert "your file failed to import: NameError" in verdict.summary
    assert "line 3" in verdict.summary


def test_an_exception_in_learner_code_names_their_line(
    grade_fn: GradeFn, kata: Kata, tmp_path: Path
) -> None:
    verdict = run(grade_fn, kata, tmp_path, "def double(x):\n    raise ValueError('nope')\n")
    assert verdict.status is Status.FAILED
    message = verdict.checks[0].message
    assert "your code raised ValueError: nope" in message
    assert "double.py, line 2" in message


def test_a_missing_function_is_named(grade_fn: GradeFn, kata: Kata, tmp_path: Path) -> None:
    verdict = run(grade_fn, kata, tmp_path, "def triple(x):\n    return 3 * x\n")
    assert verdict.status is Status.FAILED
    assert verdict.checks[0].message == "your file does not define 'double', which the checks use"


def test_an_infinite_loop_times_out_and_leaves_no_process(
    grade_fn: GradeFn, kata: Kata, tmp_path: Path
) -> None:
    marker = f"{os.getpid()}.{time.monotonic_ns() % 10**6}"  # a unique `sleep` argument
    source = f"import subprocess\nsubprocess.Popen(['sleep', '{marker}'])\nwhile True:\n    pass\n"
    start = time.monotonic()
    verdict = run(grade_fn, kata, tmp_path, source, timeout=SHORT)
    elapsed = time.monotonic() - start
    assert verdict.status is Status.TIMEOUT
    assert elapsed < SHORT + 2
    assert f"used up its {SHORT:g} s of CPU time" in verdict.summary
    assert verdict.checks[0].status is CheckStatus.TIMEOUT
    assert verdict.checks[1].status is CheckStatus.NOT_RUN
    assert _processes_running(["sleep", marker]) == []


def _processes_running(argv: list[str]) -> list[int]:
    """Live (non-zombie) processes whose command line is exactly ``argv``."""
    time.sleep(0.2)
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")[:-1]
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if [part.decode(errors="replace") for part in cmdline] == argv and state not in "ZX":
            found.append(int(entry.name))
    return found


@pytest.mark.parametrize("exit_call", ["import os; os._exit(0)", "import os; os._exit(3)"])
def test_os_exit_at_import_is_never_a_pass(
    grade_fn: GradeFn, kata: Kata, tmp_path: Path, exit_call: str
) -> None:
    verdict = run(grade_fn, kata, tmp_path, SOLUTION + exit_call + "\n")
    assert verdict.status is Status.CRASHED
    assert "ended early" in verdict.summary


def test_os_exit_inside_a_check_is_never_a_pass(
    grade_fn: GradeFn, kata: Kata, tmp_path: Path
) -> None:
    verdict = run(grade_fn, kata, tmp_path, "import os\n\ndef double(x):\n    os._exit(0)\n")
    assert verdict.status is Status.CRASHED
    assert verdict.checks[0].status is CheckStatus.ERROR


def test_sys_exit_at_import_is_never_a_pass(grade_fn: GradeFn, kata: Kata, tmp_path: Path) -> None:
    verdict = run(grade_fn, kata, tmp_path, SOLUTION + "import sys\nsys.exit(0)\n")
    assert verdict.status is Status.ERROR
    assert "sys.exit(0)" in verdict.summary


def test_sys_exit_inside_a_check_is_never_a_pass(
    grade_fn: GradeFn, kata: Kata, tmp_path: Path
) -> None:
    verdict = run(grade_fn, kata, tmp_path, "import sys\n\ndef double(x):\n    sys.exit(0)\n")
    assert verdict.status is not Status.PASSED


def test_a_segfault_is_a_crash(grade_fn: GradeFn, kata: Kata, tmp_path: Path) -> None:
    verdict = run(grade_fn, kata, tmp_path, SOLUTION + "import ctypes\nctypes.string_at(0)\n")
    assert verdict.status is Status.CRASHED
    assert "SIGSEGV" in verdict.summary


def test_an_output_flood_is_capped_with_a_notice(
    grade_fn: GradeFn, kata: Kata, tmp_path: Path
) -> None:
    source = SOLUTION + "import sys\nfor _ in range(20000):\n    sys.stdout.write('x' * 500)\n"
    verdict = run(grade_fn, kata, tmp_path, source, output_limit=8192)
    assert verdict.status is Status.PASSED
    assert verdict.output_truncated
    assert len(verdict.output) < 9000
    assert "output truncated" in verdict.output


def test_a_never_ending_flood_still_times_out(
    grade_fn: GradeFn, kata: Kata, tmp_path: Path
) -> None:
    source = "import sys\nwhile True:\n    sys.stdout.write('y' * 4096)\n"
    verdict = run(grade_fn, kata, tmp_path, source, timeout=SHORT)
    assert verdict.status is Status.TIMEOUT
    assert verdict.output_truncated


def test_skipped_only_is_never_a_pass(grade_fn: GradeFn, tmp_path: Path) -> None:
    checks = (
        "import pytest\n\n\ndef test_later(learner):\n"
        '    """one day"""\n    pytest.skip("not written yet")\n'
    )
    root = make_kata(tmp_path / "pack", "skippy", checks=checks)
    verdict = grade_fn(load_kata(root, tmp_path / "pack"), root / "solution.py")
    assert verdict.status is Status.ERROR
    assert verdict.checks[0].status is CheckStatus.SKIPPED


def test_no_checks_is_never_a_pass(grade_fn: GradeFn, tmp_path: Path) -> None:
    root = make_kata(tmp_path / "pack", "empty", checks="# no checks yet\n")
    verdict = grade_fn(load_kata(root, tmp_path / "pack"), root / "solution.py")
    assert verdict.status is Status.ERROR
    assert "no checks" in verdict.summary


def test_broken_checks_are_an_error_without_their_source(grade_fn: GradeFn, tmp_path: Path) -> None:
    checks = "SECRET = 42\nimport does_not_exist\n"
    root = make_kata(tmp_path / "pack", "broken-checks", checks=checks)
    verdict = grade_fn(load_kata(root, tmp_path / "pack"), root / "solution.py")
    assert verdict.status is Status.ERROR
    assert "checks could not be loaded" in verdict.summary
    assert "SECRET" not in verdict.to_json()


def test_a_device_the_kata_does_not_list_is_unavailable(grade_fn: GradeFn, tmp_path: Path) -> None:
    root = make_kata(tmp_path / "pack", "gpu-only", devices=["cuda"])
    verdict = grade_fn(load_kata(root, tmp_path / "pack"), root / "solution.py", "cpu")
    assert verdict.status is Status.UNAVAILABLE
    assert verdict.summary.startswith("not verified here")


def test_cuda_on_a_machine_without_it_is_unavailable(
    grade_fn: GradeFn, kata: Kata, tmp_path: Path
) -> None:
    import shutil

    if shutil.which("nvidia-smi"):
        pytest.skip("this machine has a GPU")
    verdict = run(grade_fn, kata, tmp_path, SOLUTION, device="cuda")
    assert verdict.status is Status.UNAVAILABLE
    assert "no CUDA GPU" in verdict.summary


def test_a_missing_file_is_an_error(grade_fn: GradeFn, kata: Kata, tmp_path: Path) -> None:
    verdict = grade_fn(kata, tmp_path / "nope.py")
    assert verdict.status is Status.ERROR
    assert "there is no file" in verdict.summary


def test_the_learner_runs_in_a_scratch_directory(
    grade_fn: GradeFn, kata: Kata, tmp_path: Path
) -> None:
    source = SOLUTION + "import os\nopen('scratch.txt', 'w').write('x')\nprint(os.getcwd())\n"
    verdict = run(grade_fn, kata, tmp_path, source)
    assert verdict.status is Status.PASSED
    assert not (tmp_path / "scratch.txt").exists()
    assert not Path("scratch.txt").exists()


def test_the_verdict_round_trips_through_json(
    grade_fn: GradeFn, kata: Kata, tmp_path: Path
) -> None:
    verdict = run(grade_fn, kata, tmp_path, "def double(x):\n    return x\n")
    data = json.loads(verdict.to_json())
    assert data["status"] == "failed"
    assert {"kata_id", "checks", "output", "duration", "device", "environment"} <= data.keys()
    assert Verdict.from_json(verdict.to_json()) == verdict


def test_capped_output_keeps_head_and_tail() -> None:
    capped = CappedOutput(limit=100)
    capped.feed(b"H" * 80)
    capped.feed(b"m" * 1000)
    capped.feed(b"T" * 30)
    text = capped.text()
    assert capped.truncated
    assert capped.total == 1110
    assert text.startswith("H" * 75)
    assert text.endswith("T" * 25)
    assert "1110 in all" in text


def test_torch_rebinding_its_own_globals_is_not_tampering(
    grade_fn: GradeFn, kata: Kata, tmp_path: Path
) -> None:
    """set_default_dtype swaps torch.Storage and the first optimizer wraps manual_seed."""
    source = SOLUTION + (
        "import torch\n"
        "torch.set_default_dtype(torch.float64)\n"
        "torch.set_default_dtype(torch.float32)\n"
        "torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1).step()\n"
    )
    verdict = run(grade_fn, kata, tmp_path, source)
    assert verdict.status is Status.PASSED, verdict.summary


def test_patching_torch_in_the_learner_process_changes_no_comparison(
    grade_fn: GradeFn, kata: Kata, tmp_path: Path
) -> None:
    """The checks compare in the judge, whose torch the learner's code never reaches."""
    source = "import torch\ntorch.equal = lambda *a: True\n\ndef double(x):\n    return x\n"
    verdict = run(grade_fn, kata, tmp_path, source)
    assert verdict.status is Status.FAILED
    assert verdict.checks[0].status is CheckStatus.FAILED


def test_every_verdict_says_which_protections_held(
    grade_fn: GradeFn, kata: Kata, tmp_path: Path
) -> None:
    verdict = run(grade_fn, kata, tmp_path, SOLUTION)
    assert any(item.startswith("memory ") for item in verdict.environment.sandbox)
    assert any(item.startswith("CPU time ") for item in verdict.environment.sandbox)


def test_a_50_gb_allocation_meets_the_default_memory_limit(
    grade_fn: GradeFn, kata: Kata, tmp_path: Path
) -> None:
    source = "import torch\nBIG = torch.empty(50 * 2**30, dtype=torch.uint8)\n" + SOLUTION
    verdict = run(grade_fn, kata, tmp_path, source)
    assert verdict.status is Status.ERROR
    assert "exceeded the memory limit of 4096 MB" in verdict.summary


def test_torch_caches_go_to_the_scratch_whatever_the_environment_says(
    grade_fn: GradeFn, kata: Kata, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The grader's own process may have named torch's compiler cache already (any test or tool
    that imported torch's optimizers); the child's sandbox cannot write there."""
    monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", str(tmp_path / "host-cache"))
    source = (
        SOLUTION + "import torch\ntorch.optim.SGD([torch.zeros(1, requires_grad=True)]).step()\n"
    )
    verdict = run(grade_fn, kata, tmp_path, source)
    assert verdict.status is Status.PASSED, verdict.summary
    assert not (tmp_path / "host-cache").exists()
