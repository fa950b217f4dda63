"""WRONG: synchronizes before stopping the clock but not before starting it, so GPU work
still queued from before (the warm-up included) is counted.
Caught by: GPU work queued before time_gpu is called is not counted."""

import time
from collections.abc import Callable

import torch


def time_gpu(fn: Callable[[], object], *, warmup: int = 3, iters: int = 20) -> float:
    """Milliseconds one call of fn() takes on the current CUDA device (mean of iters calls)."""
    for _ in range(warmup):
        fn()
    start = time.perf_counter()
    for _ in range(iters):
        fn()
    torch.cuda.synchronize()
    return (time.perf_counter() - start) * 1000 / iters
