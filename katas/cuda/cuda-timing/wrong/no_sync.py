"""WRONG: perf_counter around the loop with no synchronize: it measures how fast Python queues
the kernels, not how long the GPU runs them.
Caught by: measures how long the GPU runs fn(), in milliseconds per call."""

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
    return (time.perf_counter() - start) * 1000 / iters
