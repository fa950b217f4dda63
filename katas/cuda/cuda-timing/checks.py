"""Hidden checks for cuda-timing: time_gpu reports GPU time per call, within 0.5-2x of events.

The work timed is ``torch.cuda._sleep``, a kernel that spins for a number of GPU clock cycles:
its length is known (calibrated here with CUDA events) and launching it costs the CPU almost
nothing, so a timer that stops before the GPU finishes reads far too little. The reference
for every measurement is a pair of CUDA events around the same calls, taken right after.
"""

import math
import time
from collections.abc import Callable
from functools import cache
from types import ModuleType

import torch

LOW, HIGH = 0.5, 2.0
"""How far from the CUDA-event reference a measurement may be."""

Work = Callable[[], object]


def _events() -> tuple[torch.cuda.Event, torch.cuda.Event]:
    return torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)


@cache
def _cycles_per_ms() -> float:
    """How many ``_sleep`` cycles the GPU spins per millisecond (its clock, measured once).

    An idle GPU runs at a fraction of its clock; a few hundred milliseconds of spinning first
    brings it up to speed, so the kernels timed next take as long as the calibration says.
    """
    probe = 2_000_000
    torch.cuda._sleep(100 * probe)  # loads the kernel and wakes the clock up
    start, end = _events()
    torch.cuda.synchronize()
    start.record()
    torch.cuda._sleep(probe)
    end.record()
    end.synchronize()
    return probe / max(start.elapsed_time(end), 1e-3)


def _kernel(ms: float) -> Work:
    """A GPU kernel that runs for about ``ms`` milliseconds and returns at once on the CPU."""
    cycles = max(1, int(ms * _cycles_per_ms()))
    return lambda: torch.cuda._sleep(cycles)


def _reference(fn: Work, iters: int) -> float:
    """Milliseconds per call of ``fn``, by CUDA events, the GPU idle before and after."""
    fn()
    torch.cuda.synchronize()
    start, end = _events()
    start.record()
    for _ in range(iters):
        fn()
    end.record()
    end.synchronize()
    return start.elapsed_time(end) / iters


def _number(result: object, call: str) -> float:
    if isinstance(result, torch.Tensor) and result.numel() == 1:
        result = result.item()
    if isinstance(result, bool) or not isinstance(result, (int, float)):
        raise AssertionError(
            f"{call} returned {type(result).__name__} {result!r}, expected a float "
            "(milliseconds per call)"
        )
    value = float(result)
    assert math.isfinite(value) and value > 0, (
        f"{call} returned {value!r}, expected a positive number of milliseconds per call"
    )
    return value


def _time(learner: ModuleType, fn: Work, call: str, **kwargs: int) -> float:
    """Call the learner's time_gpu; a read of unfinished events is explained, not just raised."""
    try:
        result = learner.time_gpu(fn, **kwargs)
    except RuntimeError as exc:
        if "completed" not in str(exc):
            raise
        raise AssertionError(
            f"{call} raised: {exc} elapsed_time reads timestamps the GPU takes when it reaches "
            "them: call end.synchronize() (or torch.cuda.synchronize()) after end.record()"
        ) from None
    return _number(result, call)


def _judge(got: float, expected: float, call: str, iters: int) -> None:
    ratio = got / expected
    if LOW <= ratio <= HIGH:
        return
    said = f"{call} returned {got:.4g} ms per call, but the GPU takes {expected:.4g} ms"
    if iters > 2 and LOW * iters <= ratio <= HIGH * iters:
        raise AssertionError(f"{said}: that is the total of the {iters} calls; divide by iters")
    if ratio < LOW:
        raise AssertionError(
            f"{said}: the clock stopped while the kernels were still queued. A CUDA call "
            "returns as soon as its work is queued, so wait for the GPU "
            "(torch.cuda.synchronize(), or end.synchronize() with CUDA events) before "
            "reading the clock"
        )
    raise AssertionError(
        f"{said}: the measurement counts more than the timed calls. Start the clock only "
        "when the GPU is idle (torch.cuda.synchronize() first, or CUDA events, which are "
        "taken in stream order), and after the warm-up calls"
    )


def test_gpu_time(learner: ModuleType, device: torch.device) -> None:
    """measures how long the GPU runs fn(), in milliseconds per call"""
    with torch.cuda.device(device):
        results: list[tuple[str, float, float, int]] = []
        for ms, iters in ((1.0, 10), (4.0, 5)):
            fn = _kernel(ms)
            call = f"time_gpu(fn, warmup=2, iters={iters}) for a {ms:g} ms kernel"
            got = _time(learner, fn, call, warmup=2, iters=iters)
            results.append((call, got, _reference(fn, iters), iters))
        if all(LOW / 1000 <= got / expected <= HIGH / 1000 for _, got, expected, _ in results):
            call, got, expected, _ = results[0]
            raise AssertionError(
                f"{call} returned {got:.4g}, and the GPU takes {expected:.4g} ms per call: "
                "that is seconds. Return milliseconds (elapsed_time already is; "
                "perf_counter differences are seconds)"
            )
        for call, got, expected, iters in results:
            _judge(got, expected, call, iters)


def test_earlier_work_not_counted(learner: ModuleType, device: torch.device) -> None:
    """GPU work queued before time_gpu is called is not counted"""
    with torch.cuda.device(device):
        fn = _kernel(1.0)
        backlog = _kernel(40.0)
        torch.cuda.synchronize()
        backlog()  # still running when time_gpu starts
        call = "time_gpu(fn, warmup=1, iters=5) for a 1 ms kernel, 40 ms of earlier work queued"
        got = _time(learner, fn, call, warmup=1, iters=5)
        _judge(got, _reference(fn, 5), call, 5)


def test_warmup_not_timed(learner: ModuleType, device: torch.device) -> None:
    """calls fn() warmup times untimed, then iters timed calls"""
    with torch.cuda.device(device):
        kernel = _kernel(1.0)
        calls = 0

        def fn() -> None:
            nonlocal calls
            calls += 1
            if calls == 1:
                time.sleep(0.15)  # a first call that initialises something, as cuDNN does
            kernel()

        for warmup, iters in ((2, 5), (3, 20)):
            calls = 0
            call = f"time_gpu(fn, warmup={warmup}, iters={iters})"
            if (warmup, iters) == (3, 20):
                call = "time_gpu(fn) with the default warmup=3, iters=20"
                got = _time(learner, fn, call)
            else:
                got = _time(learner, fn, call, warmup=warmup, iters=iters)
            assert calls == warmup + iters, (
                f"{call} called fn() {calls} times, expected {warmup} warm-up calls and "
                f"{iters} timed ones ({warmup + iters})"
            )
            _judge(got, _reference(kernel, iters), call, iters)
