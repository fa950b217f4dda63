"""Hidden checks for cuda-timing: time_gpu reports GPU time per call, within 0.5-2x of events.

The work timed is ``torch.cuda._sleep``, a kernel that spins for a number of GPU clock cycles:
its length is known (calibrated with CUDA events) and launching it costs the CPU almost
nothing, so a timer that stops before the GPU finishes reads far too little. The reference
for every measurement is a pair of CUDA events around the same calls, taken right after.

Kernels, events and the functions handed to time_gpu live in the learner process (defined
there with ``remote.define``): its stream is the one time_gpu times, and work queued in
another process would not be ordered with it. The measurements come back as numbers and are
judged here. ``tests/test_devices.py`` runs these checks in one process against a simulated
stream, with a stand-in for ``remote``.
"""

import math
from typing import Any

import torch

from trainer.checks import Remote, plain, type_name

LOW, HIGH = 0.5, 2.0
"""How far from the CUDA-event reference a measurement may be."""

_CALIBRATED: dict[str, float] = {}
"""_sleep cycles per millisecond, by device, measured once per process (a GPU's clock)."""


def _events() -> tuple[torch.cuda.Event, torch.cuda.Event]:
    return torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)


def _calibrate() -> float:
    """How many ``_sleep`` cycles the GPU spins per millisecond (in the learner process).

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


def _reference_there(fn: object, iters: int) -> float:
    """Milliseconds per call of ``fn``, by CUDA events, the GPU idle before and after (in the
    learner process, on its stream)."""
    fn()
    torch.cuda.synchronize()
    start, end = _events()
    start.record()
    for _ in range(iters):
        fn()
    end.record()
    end.synchronize()
    return start.elapsed_time(end) / iters


class _FirstCallSlow:
    """A function for time_gpu: a kernel, after a first call that initialises something on
    the CPU, as cuDNN does; it counts its calls (in the learner process)."""

    def __init__(self, kernel: object) -> None:
        self.kernel = kernel
        self.calls = 0

    def __call__(self) -> None:
        import time

        self.calls += 1
        if self.calls == 1:
            time.sleep(0.15)
        self.kernel()


def _cycles_per_ms(remote: Remote, device: torch.device) -> float:
    key = str(device)
    if key not in _CALIBRATED:
        remote.define(_events)
        _CALIBRATED[key] = float(remote.define(_calibrate)())
    return _CALIBRATED[key]


def _kernel(remote: Remote, device: torch.device, ms: float) -> Any:
    """A GPU kernel that runs for about ``ms`` milliseconds and returns at once on the CPU: a
    function of the learner process."""
    cycles = max(1, int(ms * _cycles_per_ms(remote, device)))
    return remote.eval("lambda: torch.cuda._sleep(cycles)", cycles=cycles)


def _reference(remote: Remote, fn: Any, iters: int) -> float:
    """Milliseconds per call of ``fn`` by CUDA events, measured in the learner process."""
    remote.define(_events)
    return float(remote.define(_reference_there)(fn, iters))


def _number(remote: Remote, result: object, call: str) -> float:
    if isinstance(result, torch.Tensor):
        tensor = plain(result, f"what {call} returned")
        if tensor.numel() == 1:
            result = tensor.item()
    if isinstance(result, bool) or not isinstance(result, (int, float)):
        raise AssertionError(
            f"{call} returned {type_name(result)} {result!r}, expected a float "
            "(milliseconds per call)"
        )
    if type(result) not in (int, float):  # a subclass (numpy.float64) stays there: convert it
        result = remote.eval("float(value)", value=result)
    value = float(result)
    assert math.isfinite(value) and value > 0, (
        f"{call} returned {value!r}, expected a positive number of milliseconds per call"
    )
    return value


def _time(learner: Any, remote: Remote, fn: Any, call: str, **kwargs: int) -> float:
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
    return _number(remote, result, call)


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


def _on(remote: Remote, device: torch.device) -> Any:
    """``device`` made current in the learner process, for the learner's code and the checks'
    kernels (a context manager entered there)."""
    return remote.eval("torch.cuda.device(device)", device=device)


def test_gpu_time(learner: Any, remote: Remote, device: torch.device) -> None:
    """measures how long the GPU runs fn(), in milliseconds per call"""
    with _on(remote, device):
        results: list[tuple[str, float, float, int]] = []
        for ms, iters in ((1.0, 10), (4.0, 5)):
            fn = _kernel(remote, device, ms)
            call = f"time_gpu(fn, warmup=2, iters={iters}) for a {ms:g} ms kernel"
            got = _time(learner, remote, fn, call, warmup=2, iters=iters)
            results.append((call, got, _reference(remote, fn, iters), iters))
        if all(LOW / 1000 <= got / expected <= HIGH / 1000 for _, got, expected, _ in results):
            call, got, expected, _ = results[0]
            raise AssertionError(
                f"{call} returned {got:.4g}, and the GPU takes {expected:.4g} ms per call: "
                "that is seconds. Return milliseconds (elapsed_time already is; "
                "perf_counter differences are seconds)"
            )
        for call, got, expected, iters in results:
            _judge(got, expected, call, iters)


def test_earlier_work_not_counted(learner: Any, remote: Remote, device: torch.device) -> None:
    """GPU work queued before time_gpu is called is not counted"""
    with _on(remote, device):
        fn = _kernel(remote, device, 1.0)
        backlog = _kernel(remote, device, 40.0)
        # queued on the learner process's stream, still running when time_gpu starts
        remote.eval("(torch.cuda.synchronize(), backlog())", backlog=backlog)
        call = "time_gpu(fn, warmup=1, iters=5) for a 1 ms kernel, 40 ms of earlier work queued"
        got = _time(learner, remote, fn, call, warmup=1, iters=5)
        _judge(got, _reference(remote, fn, 5), call, 5)


def test_warmup_not_timed(learner: Any, remote: Remote, device: torch.device) -> None:
    """calls fn() warmup times untimed, then iters timed calls"""
    with _on(remote, device):
        kernel = _kernel(remote, device, 1.0)
        for warmup, iters in ((2, 5), (3, 20)):
            fn = remote.define(_FirstCallSlow)(kernel)  # a first call that takes 0.15 s
            call = f"time_gpu(fn, warmup={warmup}, iters={iters})"
            if (warmup, iters) == (3, 20):
                call = "time_gpu(fn) with the default warmup=3, iters=20"
                got = _time(learner, remote, fn, call)
            else:
                got = _time(learner, remote, fn, call, warmup=warmup, iters=iters)
            calls = fn.calls
            assert calls == warmup + iters, (
                f"{call} called fn() {calls} times, expected {warmup} warm-up calls and "
                f"{iters} timed ones ({warmup + iters})"
            )
            _judge(got, _reference(remote, kernel, iters), call, iters)
