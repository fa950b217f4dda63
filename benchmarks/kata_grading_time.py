"""Warm grading time of every kata's reference solution: what a learner waits for after a save.

Each kata's solution is graded ``--repeat`` times (after one untimed grading) through one warm
``Grader``, ``--pause`` seconds after the previous verdict, as a learner's saves are seconds
apart. Printed per kata: the median and the slowest of those gradings; then the slowest five
katas, and the median of the catalog. The target is a median of at most 1 s for every kata.

The baseline, measured in the same run, is ``param-not-tensor``, the cheapest kata: its median
is the grading's fixed cost (fork, sandbox, pytest, the verdict), and each kata's ratio to it
says how much its own checks add.

GPU-only katas are skipped on a machine without the GPU (they grade "not verified here").

    python benchmarks/kata_grading_time.py [--repeat N] [--pause S] [KATA ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from trainer.grading import devices
from trainer.grading.grader import Grader
from trainer.kata.catalog import Catalog, builtin_pack
from trainer.kata.model import Kata

BASELINE = "param-not-tensor"
TARGET_S = 1.0


def timings(grader: Grader, kata: Kata, repeat: int, pause: float) -> list[float]:
    """Seconds per warm grading of ``kata``'s solution; a failed grading stops the run."""
    verdict = grader.grade(kata, kata.solution)  # untimed: the first grading of a kata
    assert verdict.passed, f"{kata.id}: the solution did not pass: {verdict.summary}"
    times = []
    for _ in range(repeat):
        time.sleep(pause)
        start = time.perf_counter()
        verdict = grader.grade(kata, kata.solution)
        times.append(time.perf_counter() - start)
        assert verdict.passed, f"{kata.id}: the solution did not pass: {verdict.summary}"
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed gradings per kata")
    parser.add_argument("--pause", type=float, default=0.5, help="seconds between saves")
    parser.add_argument("katas", nargs="*", metavar="KATA", help="default: every kata")
    args = parser.parse_args()

    catalog = Catalog.load([builtin_pack()])
    present = devices.present_here()
    wanted = [catalog.get(k) for k in args.katas] if args.katas else list(catalog)
    runnable = [k for k in wanted if not devices.missing_devices(k.spec.devices, present)]
    skipped = [k.id for k in wanted if k not in runnable]
    if BASELINE not in {k.id for k in runnable}:
        runnable.insert(0, catalog.get(BASELINE))
    print(
        f"{len(runnable)} katas, {args.repeat} warm gradings each, {args.pause} s apart, "
        f"{os.cpu_count()} cores"
    )
    medians: dict[str, float] = {}
    worst: dict[str, float] = {}
    with Grader(1) as grader:
        grader.wait_ready()
        for kata in runnable:
            times = timings(grader, kata, args.repeat, args.pause)
            medians[kata.id], worst[kata.id] = statistics.median(times), max(times)
            print(
                f"  {kata.topic:<12} {kata.id:<22} median {medians[kata.id] * 1000:6.0f} ms"
                f"   slowest {worst[kata.id] * 1000:6.0f} ms",
                flush=True,
            )
    base = medians[BASELINE]
    print(f"\nbaseline ({BASELINE}): median {base * 1000:.0f} ms")
    print("slowest five (median, ratio to the baseline):")
    for kata_id in sorted(medians, key=medians.__getitem__, reverse=True)[:5]:
        print(f"  {kata_id:<22} {medians[kata_id] * 1000:6.0f} ms   x{medians[kata_id] / base:.1f}")
    print(f"catalog median of medians: {statistics.median(medians.values()) * 1000:.0f} ms")
    over = [k for k, m in medians.items() if m > TARGET_S]
    print(f"katas over {TARGET_S:.0f} s: {', '.join(over) if over else 'none'}")
    if skipped:
        print(f"GPU-only, not graded on this machine: {', '.join(skipped)}")
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
