"""WRONG: returns the time of all iters calls together, not per call.
Caught by: measures how long the GPU runs fn(), in milliseconds per call."""

from collections.abc import Callable

import torch


def time_gpu(fn: Callable[[], object], *, warmup: int = 3, iters: int = 20) -> float:
    """Milliseconds one call of fn() takes on the current CUDA device (mean of iters calls)."""
    for _ in range(warmup):
        fn()
    start = torch.cuda.Event(enable_timing=True)
    end = torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(iters):
        fn()
    end.record()
    end.synchronize()
    return start.elapsed_time(end)
