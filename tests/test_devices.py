"""Devices end to end: naming one, choosing one, listing and grading katas this machine cannot
run, and the CUDA katas' checks exercised on CPU stand-ins.

What a CPU cannot show is said where it matters: ``amp-scaler`` and ``device-move`` are graded
on the CPU by widening their allowed devices (float16 autocast and ``GradScaler`` work there;
pinned memory does not, so ``device-move``'s ``no_pin`` variant is caught on a GPU only), and
``cuda-timing``'s checks run in this process against :class:`FakeGpu`, a wall-clock model of
an asynchronous CUDA stream. ``benchmarks/gpu_validate.sh`` is the real thing on a GPU.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import importlib.util
import json
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.kata_factory import make_kata
from trainer.cli.app import EXIT_CODES, main
from trainer.grading import devices
from trainer.grading.devices import choose_device, missing_devices, parse_device, present_devices
from trainer.grading.grader import Grader, grade
from trainer.grading.verdict import Environment, Status, Verdict
from trainer.kata.catalog import builtin_pack
from trainer.kata.loader import load_kata
from trainer.kata.model import Kata
from trainer.learner.progress import ProgressStore

PACK = builtin_pack()
CUDA_KATAS = ("amp-scaler", "cuda-timing", "device-move")
ALT = Path(__file__).resolve().parent / "alt_solutions"


def cuda_kata(kata_id: str) -> Kata:
    return load_kata(PACK / "cuda" / kata_id, PACK)


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "ws"
    monkeypatch.setenv("KATAS_WORKSPACE", str(root))
    return root


@pytest.fixture
def cpu_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Listings see a machine without a GPU, whatever this one has."""
    monkeypatch.setattr(devices, "present_here", lambda: frozenset({"cpu"}))


def katas(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# -- naming a device ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "device"),
    [("cpu", "cpu"), ("CUDA", "cuda"), ("cuda:0", "cuda:0"), ("cuda:12", "cuda:12"),
     ("mps", "mps"), (" auto ", "auto")],
)  # fmt: skip
def test_parse_device_accepts_and_normalises(text: str, device: str) -> None:
    assert parse_device(text) == device


@pytest.mark.parametrize("text", ["tpu", "cuda:", "cuda:x", "cuda:-1", "cpu:0", "", "gpu"])
def test_parse_device_rejects_with_the_choices(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="use cpu, cuda, cuda:N, mps or auto"):
        parse_device(text)


def test_the_cli_device_type_is_the_shared_parser() -> None:
    from trainer.cli.app import build_parser

    sub = build_parser()._subparsers
    assert sub is not None
    parsers = sub._group_actions[0].choices
    assert isinstance(parsers, dict)
    types = {
        name: action.type
        for name, parser in parsers.items()
        for action in parser._actions
        if action.dest == "device"
    }
    assert set(types) == {"check", "watch", "review", "validate", "grade"}
    assert set(types.values()) == {parse_device}


def test_every_grading_command_takes_a_device(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["check", "x"], ["watch"], ["review"], ["validate"]):
        with pytest.raises(SystemExit) as exc:
            main([*argv, "--device", "tpu"])
        assert exc.value.code == 2
        assert "not a device" in capsys.readouterr().err


# -- choosing one ---------------------------------------------------------------------------

BOTH = ("cpu", "cuda")


@pytest.mark.parametrize(
    ("requested", "allowed", "cuda", "mps", "device"),
    [
        ("auto", BOTH, 1, False, "cuda"),
        ("auto", BOTH, 0, False, "cpu"),
        ("auto", ("cpu", "mps"), 0, True, "mps"),
        ("auto", ("cuda",), 2, False, "cuda"),
        ("cpu", BOTH, 4, True, "cpu"),
        ("cuda", BOTH, 1, False, "cuda"),
        ("cuda:1", BOTH, 2, False, "cuda:1"),
        ("mps", ("mps",), 0, True, "mps"),
    ],
)
def test_choose_device_picks(
    requested: str, allowed: tuple[str, ...], cuda: int, mps: bool, device: str
) -> None:
    assert choose_device(requested, allowed, cuda_count=cuda, mps=mps) == (device, None)


@pytest.mark.parametrize(
    ("requested", "allowed", "cuda", "mps", "reason"),
    [
        ("auto", ("cuda",), 0, True, "this kata needs cuda, and this machine has none"),
        ("cpu", ("cuda",), 1, False, "this kata runs on cuda, not on cpu"),
        ("cuda", BOTH, 0, False, "this machine has no CUDA GPU that torch can use"),
        ("cuda:1", BOTH, 0, False, "this machine has no CUDA GPU that torch can use"),
        ("cuda:1", BOTH, 1, False, "there is no cuda:1 (this machine has 1 GPU, cuda:0)"),
        ("cuda:3", BOTH, 2, False, "there is no cuda:3 (this machine has 2 GPUs, cuda:0 to"),
        ("mps", ("cpu", "mps"), 1, False, "this machine has no Apple MPS device"),
    ],
)  # fmt: skip
def test_choose_device_refuses_with_a_reason(
    requested: str, allowed: tuple[str, ...], cuda: int, mps: bool, reason: str
) -> None:
    device, why = choose_device(requested, allowed, cuda_count=cuda, mps=mps)
    assert device == requested  # never a silent fall back to another device
    assert why is not None and why.startswith(reason)


def test_the_child_resolves_with_torch_facts(monkeypatch: pytest.MonkeyPatch) -> None:
    """resolve_device asks torch only about what the request could use."""
    import torch

    from trainer.grading.accelerator import resolve_device

    asked: list[str] = []

    def count() -> int:
        asked.append("cuda")
        return 2

    monkeypatch.setattr(torch.cuda, "device_count", count)
    assert resolve_device("cpu", BOTH) == ("cpu", None)
    assert asked == []  # a CPU grading never touches the CUDA driver
    assert resolve_device("auto", BOTH) == ("cuda", None)
    assert resolve_device("cuda:1", BOTH) == ("cuda:1", None)
    assert resolve_device("cuda:2", BOTH)[1] == (
        "there is no cuda:2 (this machine has 2 GPUs, cuda:0 to cuda:1)"
    )


def test_open_gpu_makes_the_graded_gpu_current_before_the_sandbox(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import torch

    from trainer.grading import accelerator as runner

    calls: list[str] = []
    monkeypatch.setattr(torch.cuda, "set_device", lambda d: calls.append(f"current {d}"))
    monkeypatch.setattr(torch, "empty", lambda *a, device: calls.append(f"context {device}"))
    runner.open_gpu("cuda:1")
    runner.open_gpu("cuda")  # a bare cuda keeps the current GPU
    assert calls == ["current cuda:1", "context cuda:1", "context cuda"]


# -- what this machine has, without torch ---------------------------------------------------


def probe(
    root: Path,
    *nodes: str,
    nvidia_gpus: int = 0,
    env: dict[str, str] | None = None,
    build: dict[str, str | None] | None = None,
    system: str = "Linux",
    arch: str = "x86_64",
) -> frozenset[str]:
    """present_devices on a machine described by fake /dev nodes and /proc GPU entries."""
    dev, proc = root / "dev", root / "proc"
    dev.mkdir(parents=True)
    (proc / "driver" / "nvidia" / "gpus").mkdir(parents=True)
    for node in nodes:
        (dev / node).touch()
    for gpu in range(nvidia_gpus):
        (proc / "driver" / "nvidia" / "gpus" / f"0000:0{gpu}:00.0").mkdir()
    return present_devices(
        env=env or {},
        build=CUDA_BUILD if build is None else build,
        dev=dev,
        proc=proc,
        system=system,
        machine=arch,
    )


CUDA_BUILD: dict[str, str | None] = {"cuda": "12.8", "hip": None}
CPU_BUILD: dict[str, str | None] = {"cuda": None, "hip": None}


def test_present_devices_needs_a_cuda_torch_and_a_gpu(tmp_path: Path) -> None:
    gpu = ("nvidia0", "nvidiactl")
    assert probe(tmp_path / "a", *gpu) == {"cpu", "cuda"}
    assert probe(tmp_path / "b", *gpu, build=CPU_BUILD) == {"cpu"}
    assert probe(tmp_path / "c", *gpu, env={"CUDA_VISIBLE_DEVICES": ""}) == {"cpu"}
    assert probe(tmp_path / "d", *gpu, env={"CUDA_VISIBLE_DEVICES": "-1"}) == {"cpu"}
    assert probe(tmp_path / "e", *gpu, env={"CUDA_VISIBLE_DEVICES": "1"}) == {"cpu", "cuda"}


def test_present_devices_sees_driver_wsl_and_rocm_gpus(tmp_path: Path) -> None:
    assert "cuda" in probe(tmp_path / "driver", nvidia_gpus=1)
    assert "cuda" in probe(tmp_path / "wsl", "dxg")
    assert "cuda" in probe(tmp_path / "rocm", "kfd", build={"cuda": None, "hip": "6.2"})
    assert probe(tmp_path / "bare", "nvidiactl") == {"cpu"}  # a driver node, but no GPU


def test_present_devices_sees_apple_silicon(tmp_path: Path) -> None:
    mac = probe(tmp_path, build=CPU_BUILD, system="Darwin", arch="arm64")
    assert mac == {"cpu", "mps"}


def test_the_torch_build_is_read_without_importing_torch() -> None:
    import subprocess
    import sys

    code = (
        "import sys, json\nfrom trainer.grading.devices import torch_build\n"
        "b = torch_build()\nprint(json.dumps([b, 'torch' in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    build, imported = json.loads(out.stdout)
    assert imported is False
    import torch

    assert build["cuda"] == torch.version.cuda


def test_missing_devices_names_what_a_kata_needs() -> None:
    cpu = frozenset({"cpu"})
    assert missing_devices(("cuda",), cpu) == "cuda"
    assert missing_devices(("cuda", "mps"), cpu) == "cuda or mps"
    assert missing_devices(("cpu", "cuda"), cpu) == ""
    assert missing_devices(("cuda",), frozenset({"cpu", "cuda"})) == ""


# -- listing and checking a kata this machine cannot run --------------------------------------


def test_list_marks_the_cuda_katas_as_needing_cuda(
    capsys: pytest.CaptureFixture[str], workspace: Path, cpu_only: None
) -> None:
    code, out, _ = katas(capsys, "list", "--json")
    assert code == 0
    rows = {row["id"]: row for row in json.loads(out)}
    for kata_id in CUDA_KATAS:
        assert rows[kata_id]["available"] is False
        assert rows[kata_id]["needs"] == ["cuda"]
        assert rows[kata_id]["devices"] == ["cuda"]
    assert rows["param-not-tensor"]["available"] is True
    assert rows["param-not-tensor"]["needs"] == []
    code, out, _ = katas(capsys, "list", "--all")
    assert code == 0
    lines = [line for line in out.splitlines() if any(k in line for k in CUDA_KATAS)]
    assert len(lines) == len(CUDA_KATAS) and all("needs cuda" in line for line in lines)
    code, out, _ = katas(capsys, "list")  # folded: the topic whose katas all need cuda says so
    (row,) = [line for line in out.splitlines() if line.startswith("cuda ")]
    assert "needs cuda" in row


def test_list_on_a_gpu_machine_marks_nothing(
    capsys: pytest.CaptureFixture[str], workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(devices, "present_here", lambda: frozenset({"cpu", "cuda"}))
    _, out, _ = katas(capsys, "list", "--json")
    assert all(row["available"] for row in json.loads(out))
    _, out, _ = katas(capsys, "list")
    assert "needs cuda" not in out


def test_listing_a_catalog_never_imports_torch(workspace: Path) -> None:
    import subprocess
    import sys

    code = (
        "import sys\nfrom trainer.cli.app import main\nmain(['list', '--json'])\n"
        "assert 'torch' not in sys.modules, 'katas list imported torch'\n"
    )
    subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, timeout=120)


@pytest.mark.parametrize("kata_id", CUDA_KATAS)
def test_check_of_a_cuda_kata_on_cpu_exits_6_and_is_never_solved(
    capsys: pytest.CaptureFixture[str], workspace: Path, kata_id: str
) -> None:
    solution = PACK / "cuda" / kata_id / "solution.py"
    code, out, _ = katas(capsys, "check", kata_id)
    assert code == EXIT_CODES[Status.UNAVAILABLE] == 6
    assert "not verified here" in out
    own = workspace / "cuda" / kata_id / cuda_kata(kata_id).spec.file
    own.write_text(solution.read_text())  # even the reference cannot pass on the CPU
    code, out, _ = katas(capsys, "check", kata_id, "--json")
    assert code == 6
    verdict = Verdict.from_json(out)
    assert verdict.status is Status.UNAVAILABLE and verdict.checks == ()
    assert verdict.summary.startswith("not verified here")
    _, out, _ = katas(capsys, "list", "--json")
    row = next(r for r in json.loads(out) if r["id"] == kata_id)
    assert row["status"] == "attempted"
    store = ProgressStore(workspace / ".katas")
    assert store.status_of(kata_id) != "solved"
    assert all(not a.passed and not a.is_try for a in store.attempts())


def test_auto_on_a_machine_without_a_gpu_is_not_verified_here(workspace: Path) -> None:
    if "cuda" in present_devices():
        pytest.skip("this machine has a GPU")
    kata = cuda_kata("amp-scaler")
    verdict = grade(kata, kata.solution, "auto")
    assert verdict.status is Status.UNAVAILABLE
    assert verdict.summary == "not verified here: this kata needs cuda, and this machine has none"
    assert verdict.device == "auto"  # it never ran anywhere
    assert verdict.environment.torch is not None  # the child did look


def test_an_unavailable_verdict_never_solves(tmp_path: Path) -> None:
    store = ProgressStore(tmp_path / ".katas")
    unavailable = Verdict(
        kata_id="amp-scaler",
        status=Status.UNAVAILABLE,
        summary="not verified here: this kata runs on cuda, not on cpu",
        device="cpu",
        file="amp_step.py",
        environment=Environment(trainer="0", python="3", platform="test"),
    )
    for _ in range(3):
        recorded = store.record_attempt("amp-scaler", unavailable, "abc")
    assert store.status_of("amp-scaler") == "attempted"
    progress = store.kata("amp-scaler")
    assert progress.solved_at is None and progress.card is None
    assert progress.last_status is Status.UNAVAILABLE
    assert not recorded.first_solve and recorded.card is None


def test_validate_on_cpu_counts_the_cuda_katas_as_not_verified_here(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = katas(capsys, "validate", str(PACK / "cuda"))
    assert code == 0, out
    assert "0 katas valid, 0 broken, 3 not verified here (on cpu)" in out
    marks = [line for line in out.splitlines() if line.startswith("⊘")]
    trials = sum(2 + len(cuda_kata(k).wrong_variants) for k in CUDA_KATAS)
    assert len(marks) == trials
    assert all("not verified here" in line for line in marks)


# -- the verdict says where it ran ----------------------------------------------------------


def test_the_verdict_records_the_device_torch_and_gpu(tmp_path: Path) -> None:
    import torch

    root = make_kata(tmp_path / "pack", "double-it")
    kata = load_kata(root, tmp_path / "pack")
    verdict = grade(kata, root / "solution.py", "auto")
    assert verdict.status is Status.PASSED
    has_gpu = torch.cuda.is_available()
    assert verdict.device == ("cuda" if has_gpu else "cpu")
    assert verdict.environment.torch == torch.__version__
    assert verdict.environment.cuda == torch.version.cuda
    assert (verdict.environment.gpu is not None) is has_gpu
    if not has_gpu:
        missing = grade(kata, root / "solution.py", "cuda:1")
        assert missing.status is Status.UNAVAILABLE
        assert "no CUDA GPU" in missing.summary


# -- the CUDA katas' checks on CPU stand-ins -------------------------------------------------

GPU_ONLY = {("device-move", "no_pin.py")}
"""Wrong variants only a GPU can catch: pinned memory does not exist without one."""


def widened(kata: Kata) -> Kata:
    """The kata allowed on the CPU too: test-only, to run its checks where torch allows it."""
    spec = kata.spec.model_copy(update={"devices": ("cpu", "cuda")})
    return kata.model_copy(update={"spec": spec})


def check_functions(kata: Kata) -> dict[str, str]:
    """The kata's checks: the name a learner sees (docstring's first line) -> function name."""
    tree = ast.parse(kata.checks.read_text(encoding="utf-8"))
    found = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            doc = ast.get_docstring(node)
            assert doc, f"{kata.id}: {node.name} has no docstring"
            found[doc.splitlines()[0]] = node.name
    return found


def check_names(kata: Kata) -> list[str]:
    return list(check_functions(kata))


def caught_by(path: Path) -> str:
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    assert doc.startswith("WRONG: "), f"{path} does not start with a WRONG: docstring"
    assert "Caught by: " in doc, f"{path} does not say which check catches it"
    return " ".join(doc.split("Caught by: ", 1)[1].split())


@pytest.mark.parametrize("kata_id", CUDA_KATAS)
def test_every_cuda_wrong_variant_names_the_check_that_catches_it(kata_id: str) -> None:
    kata = cuda_kata(kata_id)
    names = check_names(kata)
    assert len(kata.wrong_variants) >= 3
    for path in kata.wrong_variants:
        text = caught_by(path)
        assert any(text.startswith(name) for name in names), f"{path.name}: {text!r}"


@pytest.mark.parametrize("kata_id", ["amp-scaler", "device-move"])
def test_cuda_kata_checks_hold_on_the_cpu_stand_in(kata_id: str) -> None:
    """Solutions pass and every wrong variant fails the check its docstring names."""
    kata = widened(cuda_kata(kata_id))
    names = check_names(kata)
    files = [kata.solution, ALT / f"{kata_id}.py", kata.starter, *kata.wrong_variants]
    with Grader(1) as grader:
        grader.wait_ready()  # warm gradings take a fraction of a second each
        verdicts = {path: grader.grade(kata, path, "cpu") for path in files}
    for path in (kata.solution, ALT / f"{kata_id}.py"):
        verdict = verdicts[path]
        assert verdict.status is Status.PASSED, (path, verdict.summary, verdict.checks)
        assert verdict.device == "cpu"
    assert verdicts[kata.starter].status is Status.FAILED
    for path in kata.wrong_variants:
        verdict = verdicts[path]
        if (kata_id, path.name) in GPU_ONLY:
            continue
        assert verdict.status is Status.FAILED, (path.name, verdict.summary)
        failed = [c.name for c in verdict.checks if c.status.value != "passed"]
        named = next(n for n in names if caught_by(path).startswith(n))
        assert named in failed, (path.name, failed)


class FakeGpu:
    """One CUDA stream on the wall clock, enough for the cuda-timing kata.

    Work queues behind earlier work and returns at once; an event's timestamp is the moment
    the stream reaches it; synchronising sleeps until the stream is done; reading an event the
    stream has not reached raises, as CUDA does.
    """

    def __init__(self, cycles_per_ms: float = 1e6) -> None:
        self.cycles_per_ms = cycles_per_ms
        self.free_at = time.perf_counter()

    def _sleep(self, cycles: int) -> None:
        self.free_at = max(time.perf_counter(), self.free_at) + cycles / self.cycles_per_ms / 1e3

    def synchronize(self, device: object = None) -> None:
        wait(self.free_at)

    def device(self, device: object) -> contextlib.nullcontext[None]:
        return contextlib.nullcontext()

    def Event(self, enable_timing: bool = False) -> FakeEvent:  # torch's name
        return FakeEvent(self)


class FakeEvent:
    def __init__(self, gpu: FakeGpu) -> None:
        self.gpu = gpu
        self.at: float | None = None

    def record(self, stream: object = None) -> None:
        self.at = max(time.perf_counter(), self.gpu.free_at)

    def query(self) -> bool:
        return self.at is not None and time.perf_counter() >= self.at

    def synchronize(self) -> None:
        assert self.at is not None, "synchronize() on an event never recorded"
        wait(self.at)

    def elapsed_time(self, end: FakeEvent) -> float:
        if not (self.query() and end.query()):
            raise RuntimeError("Both events must be completed before calculating elapsed time.")
        assert self.at is not None and end.at is not None
        return (end.at - self.at) * 1e3


def wait(until: float) -> None:
    remaining = until - time.perf_counter()
    if remaining > 0:
        time.sleep(remaining)


def module(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


@pytest.fixture
def fake_gpu(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGpu]:
    import torch

    gpu = FakeGpu()
    for name in ("_sleep", "synchronize", "device", "Event"):
        monkeypatch.setattr(torch.cuda, name, getattr(gpu, name))
    yield gpu


class LocalRemote:
    """The ``remote`` fixture for checks run in this process, which plays the learner process.

    What the checks send there is built here the way the learner process builds it: expressions
    and ``define``'d sources run in a scope of torch, nn, F, math, the learner's module and what
    was defined before (so a helper that is not self-contained fails here too); values are the
    objects themselves (nothing travels).
    """

    def __init__(self, learner: ModuleType) -> None:
        import math

        import torch

        self.torch = torch
        self.scope: dict[str, object] = {
            "torch": torch,
            "nn": torch.nn,
            "F": torch.nn.functional,
            "math": math,
            "learner": learner,
        }

    def module(self, name: str) -> ModuleType:
        return importlib.import_module(name)

    def eval(self, source: str, **names: object) -> object:
        return eval(compile(source, "<checks>", "eval"), {**self.scope, **names})

    def define(self, obj: object) -> object:
        import inspect
        import textwrap

        if not callable(obj):
            raise TypeError(f"define: {obj!r} is not a function or class")
        source = textwrap.dedent(inspect.getsource(obj))
        node = ast.parse(source).body[0]
        assert isinstance(node, (ast.FunctionDef, ast.ClassDef))
        exec(compile(source, f"<checks: {node.name}>", "exec"), self.scope)
        return self.scope[node.name]

    def tensor(self, value: object) -> object:
        import copy

        return copy.deepcopy(value)  # a copy, as the learner process gets

    def isinstance(self, obj: object, classes: type | tuple[type, ...]) -> bool:
        return isinstance(obj, classes)

    def value(self, obj: object) -> object:
        return obj


def run_checks(learner_file: Path) -> dict[str, str]:
    """Each check of cuda-timing run on the fake GPU: name -> "" or its failure."""
    import inspect
    import sys

    import torch

    kata = cuda_kata("cuda-timing")
    checks = module(kata.checks, "cuda_timing_checks")
    results: dict[str, str] = {}
    # registered while the checks run, as pytest registers them: inspect finds their classes'
    # source through it (LocalRemote.define)
    sys.modules[checks.__name__] = checks
    try:
        for name in dir(checks):
            if not name.startswith("test_"):
                continue
            check = getattr(checks, name)
            learner = module(learner_file, "gpu_timer")
            fixtures = {
                "learner": learner,
                "remote": LocalRemote(learner),
                "device": torch.device("cuda"),
            }
            wanted = inspect.signature(check).parameters
            try:
                check(**{key: value for key, value in fixtures.items() if key in wanted})
                results[name] = ""
            except (AssertionError, RuntimeError) as exc:
                results[name] = f"{type(exc).__name__}: {exc}"
    finally:
        sys.modules.pop(checks.__name__, None)
    return results


def test_cuda_timing_checks_on_a_simulated_gpu(fake_gpu: FakeGpu) -> None:
    """The timing checks' logic against a stream model; a real GPU runs the real kernels."""
    kata = cuda_kata("cuda-timing")
    by_doc = check_functions(kata)
    for good in (kata.solution, ALT / "cuda-timing.py"):
        assert run_checks(good) == dict.fromkeys(by_doc.values(), ""), good
    assert any(run_checks(kata.starter).values())
    for path in kata.wrong_variants:
        results = run_checks(path)
        expected = next(n for doc, n in by_doc.items() if caught_by(path).startswith(doc))
        assert results[expected].startswith("AssertionError"), (path.name, results)


def test_the_fake_gpu_behaves_like_a_stream(fake_gpu: FakeGpu) -> None:
    start, end = fake_gpu.Event(), fake_gpu.Event()
    began = time.perf_counter()
    start.record()
    fake_gpu._sleep(20_000_000)  # 20 ms of queued work
    end.record()
    assert time.perf_counter() - began < 0.01  # queued, not run
    with pytest.raises(RuntimeError, match="completed"):
        start.elapsed_time(end)
    end.synchronize()
    assert 19 <= start.elapsed_time(end) <= 25


# -- data/d2h-nonblocking: GPU-only, outside the cuda topic ---------------------------------

D2H = PACK / "data" / "d2h-nonblocking"


def test_d2h_nonblocking_is_gpu_only_and_its_wrong_variants_name_their_checks() -> None:
    kata = load_kata(D2H, PACK)
    assert kata.spec.devices == ("cuda",)
    names = check_names(kata)
    assert len(kata.wrong_variants) >= 3
    for path in kata.wrong_variants:
        text = caught_by(path)
        assert any(text.startswith(name) for name in names), f"{path.name}: {text!r}"
    verdict = grade(kata, kata.solution, "cpu")
    assert verdict.status is Status.UNAVAILABLE


def test_d2h_nonblocking_checks_pass_both_solutions_with_synchronous_copies(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its checks' own logic, in this process, with every CUDA call stubbed out: on the CPU a
    copy is synchronous (and pinned memory does not exist), so both solutions must pass. The
    race the wrong variants lose is only shown on a GPU (benchmarks/gpu_validate.sh)."""
    import inspect
    import sys

    import torch

    empty = torch.empty

    def unpinned(*args: object, pin_memory: bool = False, **kwargs: object) -> torch.Tensor:
        return empty(*args, **kwargs)  # type: ignore[call-overload, no-any-return]

    class Waits:
        def record(self, stream: object = None) -> None:
            pass

        def synchronize(self) -> None:
            pass

    monkeypatch.setattr(torch, "empty", unpinned)
    monkeypatch.setattr(torch.cuda, "_sleep", lambda cycles: None)
    monkeypatch.setattr(torch.cuda, "synchronize", lambda device=None: None)
    monkeypatch.setattr(torch.cuda, "Event", lambda *args, **kwargs: Waits())
    monkeypatch.setattr(torch.cuda, "current_stream", lambda device=None: Waits())
    monkeypatch.setattr(torch.cuda, "device", lambda device: contextlib.nullcontext())
    kata = load_kata(D2H, PACK)
    checks = module(kata.checks, "d2h_nonblocking_checks")
    sys.modules[checks.__name__] = checks  # inspect finds the helpers' source through it
    try:
        for good in (kata.solution, ALT / "d2h-nonblocking.py"):
            for name in check_functions(kata).values():
                learner = module(good, "host_copy")
                fixtures = {
                    "learner": learner,
                    "remote": LocalRemote(learner),
                    "device": torch.device("cpu"),
                }
                check = getattr(checks, name)
                wanted = inspect.signature(check).parameters
                check(**{key: value for key, value in fixtures.items() if key in wanted})
    finally:
        sys.modules.pop(checks.__name__, None)
