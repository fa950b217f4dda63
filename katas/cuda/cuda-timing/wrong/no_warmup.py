"""WRONG: CUDA events done right, but no warm-up: the first call's one-off initialisation is
averaged into the result.
Caught by: calls fn() warmup times untimed, then iters timed calls."""

from collections.abc import Callable

import torch


def time_gpu(fn: Callable[[], object], *, warmup: int = 3, iters: int = 20) -> float:
    """Milliseconds one call of fn() takes on the current CUDA device (mean of iters calls)."""
    start = torch.cuda.Event(enable_timing=True)
    end = torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(iters):
        fn()
    end.record()
    end.synchronize()
    return start.elapsed_time(end) / iters
