"""Save-to-verdict latency: the warm Grader against a cold ``python -m pytest`` of the same checks.

For each of the three core katas, grades the reference solution 20 times through a warm
``Grader`` and 5 times through a cold ``python -m pytest`` run of the same ``checks.py`` (with
a throwaway plugin giving the same fixtures, the checks running in one process with the
solution; third-party plugin autoloading off), plus 5 times through the trainer's own cold path
(``trainer.grading.grader.grade``), all in this one run. Prints median and p90 of each, the
warm/cold ratios, the resident memory of this (the grading parent) process and of the worker,
and one grading's phases (medians): the learner process's sandbox entry and warm-up (done
before the request, while the worker is armed), the judge's pytest collection, its round trips
to the learner process (count and mean), and the rest of the checks.

A save comes ``--pause`` seconds after the last verdict (0.5 s: a learner's saves are seconds
apart), time the worker uses to arm the next grading; ``--pause 0`` grades back to back, so
each grading also competes with the arming of the next, and prints those figures too.

    python benchmarks/grading_latency.py [--warm N] [--cold N]
    python benchmarks/grading_latency.py --baseline REF [--rounds R]

With ``--baseline REF`` (a commit, say the one before a change to grading), the trainer's own
warm and cold paths are measured under a git worktree of REF and under this tree, alternately,
``--rounds`` times each, in this one run on this one machine, and the difference is printed:
the warm median's change in milliseconds and the cold median's ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from trainer.grading.grader import Grader, grade
from trainer.kata.catalog import Catalog, builtin_pack
from trainer.kata.model import Kata

KATAS = ("param-not-tensor", "containers", "custom-fn")

FIXTURES = """
import importlib.util
import os

import pytest
import torch

from trainer.checks import Remote


class _Here(Remote):
    \"\"\"``remote`` when the checks and the solution share one process: everything is here.\"\"\"

    def __init__(self, module):
        import inspect
        import math

        self._scope = {"torch": torch, "nn": torch.nn, "F": torch.nn.functional, "math": math,
                       "learner": module}
        self._inspect = inspect

    @property
    def torch(self):
        return torch

    def module(self, name):
        import importlib

        return importlib.import_module(name)

    def eval(self, source, **names):
        return eval(source, {**self._scope, **names})

    def fetch(self, source, **names):
        return self.eval(source, **names)

    def define(self, obj):
        self._scope[obj.__name__] = obj
        return obj

    def tensor(self, value):
        return value.detach().clone().requires_grad_(value.requires_grad)

    def isinstance(self, obj, classes):
        return isinstance(obj, classes)

    def value(self, proxy):
        return proxy


@pytest.fixture
def learner():
    path = os.environ["KATAS_BENCH_LEARNER"]
    spec = importlib.util.spec_from_file_location("learner", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def remote(learner):
    return _Here(learner)


@pytest.fixture
def device():
    return torch.device("cpu")
"""


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory in MiB, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def timed(fn: Callable[[], object], repeat: int, pause: float = 0.0) -> list[float]:
    times = []
    for _ in range(repeat):
        time.sleep(pause)
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


def cold_pytest(kata: Kata, folder: Path) -> None:
    """One cold ``python -m pytest`` of the kata's checks against its solution."""
    env = dict(
        os.environ,
        KATAS_BENCH_LEARNER=str(kata.solution),
        PYTHONDONTWRITEBYTECODE="1",
        PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
        PYTHONPATH=str(folder),
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--assert=plain",
            "--import-mode=importlib",
            "-c",
            str(folder / "pytest.ini"),
            "--rootdir",
            str(folder),
            "--confcutdir",
            str(folder),
            "-p",
            "bench_fixtures",
            "-s",
            str(kata.checks),
        ],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"cold pytest failed for {kata.id}:\n{result.stdout}\n{result.stderr}")


def trainer_paths(
    warm_n: int, cold_n: int, pause: float = 0.0
) -> dict[str, dict[str, list[float]]]:
    """Seconds per grading of each kata's solution: warm and cold, the trainer's paths only."""
    catalog = Catalog.load([builtin_pack()])
    times: dict[str, dict[str, list[float]]] = {}
    with Grader(1) as grader:
        grader.wait_ready()
        for kata_id in KATAS:
            kata = catalog.get(kata_id)

            def warm_once(kata: Kata = kata) -> None:
                verdict = grader.grade(kata, kata.solution)
                assert verdict.passed, verdict.summary

            def cold_once(kata: Kata = kata) -> None:
                verdict = grade(kata, kata.solution)
                assert verdict.passed, verdict.summary

            warm_once()
            times[kata_id] = {
                "warm": timed(warm_once, warm_n, pause=pause),
                "cold": timed(cold_once, cold_n),
            }
    return times


def against_baseline(ref: str, rounds: int, warm_n: int, cold_n: int, pause: float) -> int:
    """Measure REF's tree and this one alternately; print the differences."""
    here = Path(__file__).resolve().parent.parent
    script = Path(__file__).resolve()
    merged: dict[str, dict[str, dict[str, list[float]]]] = {"baseline": {}, "this tree": {}}
    with tempfile.TemporaryDirectory(prefix="katas-baseline-") as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(
            ["git", "-C", str(here), "worktree", "add", "--detach", str(tree), ref],
            check=True,
            capture_output=True,
        )
        try:
            for round_ in range(rounds):
                for label, root in (("baseline", tree), ("this tree", here)):
                    env = dict(os.environ, PYTHONPATH=str(root))
                    counts = ["--warm", str(warm_n), "--cold", str(cold_n), "--pause", str(pause)]
                    done = subprocess.run(
                        [sys.executable, str(script), "--json", *counts],
                        cwd=root,
                        env=env,
                        capture_output=True,
                        text=True,
                        check=True,
                    )
                    measured = json.loads(done.stdout.splitlines()[-1])
                    for kata_id, paths in measured.items():
                        into = merged[label].setdefault(kata_id, {"warm": [], "cold": []})
                        for path, values in paths.items():
                            into[path] += values
                    print(f"round {round_ + 1}/{rounds}: measured {label}", flush=True)
        finally:
            subprocess.run(
                ["git", "-C", str(here), "worktree", "remove", "--force", str(tree)],
                check=False,
                capture_output=True,
            )
    print(
        f"baseline {ref} against this tree · {os.cpu_count()} cores · {rounds} rounds · "
        f"{pause:g} s between warm gradings"
    )
    header = (
        f"{'kata':18} {'warm ms (base)':>15} {'warm ms (now)':>14} {'delta ms':>9} "
        f"{'cold ms (base)':>15} {'cold ms (now)':>14} {'cold ratio':>11}"
    )
    print(header)
    print("-" * len(header))
    worst_delta, worst_ratio = -1e9, 0.0
    for kata_id in KATAS:
        base, now = merged["baseline"][kata_id], merged["this tree"][kata_id]
        warm_base, warm_now = statistics.median(base["warm"]), statistics.median(now["warm"])
        cold_base, cold_now = statistics.median(base["cold"]), statistics.median(now["cold"])
        delta, ratio = 1000 * (warm_now - warm_base), cold_now / cold_base
        worst_delta, worst_ratio = max(worst_delta, delta), max(worst_ratio, ratio)
        print(
            f"{kata_id:18} {1000 * warm_base:>15.0f} {1000 * warm_now:>14.0f} {delta:>+9.1f} "
            f"{1000 * cold_base:>15.0f} {1000 * cold_now:>14.0f} {ratio:>11.3f}"
        )
    print("-" * len(header))
    print(
        f"worst warm median change: {worst_delta:+.1f} ms (target <= +25 ms); "
        f"worst cold median ratio: {worst_ratio:.3f} (target <= 1.200)"
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm", type=int, default=20, help="warm gradings per kata")
    parser.add_argument("--cold", type=int, default=5, help="cold runs per kata and path")
    parser.add_argument("--baseline", metavar="REF", help="compare with a git commit's tree")
    parser.add_argument("--rounds", type=int, default=2, help="alternations with --baseline")
    parser.add_argument("--pause", type=float, default=0.5, help="seconds between saves")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.json:
        print(json.dumps(trainer_paths(args.warm, args.cold, args.pause)))
        return 0
    if args.baseline:
        return against_baseline(args.baseline, args.rounds, args.warm, args.cold, args.pause)
    catalog = Catalog.load([builtin_pack()])
    print(f"python {sys.version.split()[0]} · {os.cpu_count()} cores · parent pid {os.getpid()}")
    header = f"{'kata':18} {'path':22} {'n':>3} {'median ms':>10} {'p90 ms':>8} {'warm/cold':>10}"
    print(header)
    print("-" * len(header))
    worst_ratio = 0.0
    worst_median = 0.0
    breakdown: dict[str, dict[str, float]] = {}
    with Grader(1) as grader, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "bench_fixtures.py").write_text(FIXTURES, encoding="utf-8")
        (folder / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
        grader.wait_ready()
        for kata_id in KATAS:
            kata = catalog.get(kata_id)

            phases: list[dict[str, float]] = []

            def warm_once(kata: Kata = kata, phases: list[dict[str, float]] = phases) -> None:
                verdict = grader.grade(kata, kata.solution)
                assert verdict.passed, verdict.summary
                phases.append(verdict.phases)

            def pytest_once(kata: Kata = kata) -> None:
                cold_pytest(kata, folder)

            def cold_once(kata: Kata = kata) -> None:
                verdict = grade(kata, kata.solution)
                assert verdict.passed, verdict.summary

            warm_once()  # the first grading after start-up touches fresh pages; not a save
            warm = timed(warm_once, args.warm, pause=args.pause)
            kept = list(phases[1:])
            back_to_back = timed(warm_once, max(3, args.warm // 2))
            pytest_cold = timed(pytest_once, args.cold)
            trainer_cold = timed(cold_once, args.cold)
            ratio = statistics.median(warm) / statistics.median(pytest_cold)
            worst_ratio = max(worst_ratio, ratio)
            worst_median = max(worst_median, statistics.median(warm))
            breakdown[kata_id] = {
                key: statistics.median(p.get(key, 0.0) for p in kept) for key in kept[0]
            }
            for label, values, shown in (
                ("warm Grader", warm, f"{ratio:.3f}"),
                ("warm, back to back", back_to_back, ""),
                ("cold python -m pytest", pytest_cold, ""),
                (
                    "cold trainer.grade",
                    trainer_cold,
                    f"{statistics.median(warm) / statistics.median(trainer_cold):.3f}",
                ),
            ):
                print(
                    f"{kata_id:18} {label:22} {len(values):>3} "
                    f"{1000 * statistics.median(values):>10.0f} {1000 * p90(values):>8.0f} "
                    f"{shown:>10}"
                )
        worker_rss = sum(rss_mb(pid) for pid in grader.worker_pids)
        print("-" * len(header))
        print(f"grading parent (this process) resident memory: {rss_mb():.0f} MiB")
        print(f"warm worker resident memory: {worker_rss:.0f} MiB")
    print_phases(breakdown)
    print(
        f"worst warm median: {1000 * worst_median:.0f} ms (target <= 120 ms); "
        f"worst warm/cold-pytest ratio: {worst_ratio:.3f} (target <= 0.050)"
    )
    return 0


def print_phases(breakdown: dict[str, dict[str, float]]) -> None:
    """One warm grading of each kata, in phases (medians, milliseconds)."""
    print()
    print("one warm grading, in phases (median ms):")
    rows = [
        ("learner enter", "learner process: namespaces, init (armed, before the request)"),
        ("learner contain", "learner process: root, Landlock, seccomp (armed)"),
        ("learner warm_up", "learner process: autograd warm-up (armed)"),
        ("learner set_up", "learner process: limits, file, report (on request)"),
        ("collect", "judge: pytest session and collection"),
        ("round trips", "judge: requests to the learner process, in all"),
        ("checks, rest", "judge: the checks' own work and pytest per check"),
        ("learner ending", "judge: waiting for the learner process to end"),
    ]
    print(f"{'phase':62}" + "".join(f"{k:>18}" for k in breakdown))
    for key, label in rows:
        cells = []
        for phases in breakdown.values():
            if key == "checks, rest":
                value = (
                    phases.get("judge", 0) - phases.get("collect", 0) - phases.get("round trips", 0)
                )
            else:
                value = phases.get(key, 0.0)
            cells.append(f"{1000 * value:>18.1f}")
        print(f"{label:62}" + "".join(cells))
    counts = []
    for phases in breakdown.values():
        n = phases.get("requests", 0.0)
        mean = 1e6 * phases.get("round trips", 0.0) / n if n else 0.0
        counts.append(f"{f'{n:.0f} x {mean:.0f} us':>18}")
    print(f"{'round trips: count x mean':62}" + "".join(counts))


if __name__ == "__main__":
    raise SystemExit(main())
