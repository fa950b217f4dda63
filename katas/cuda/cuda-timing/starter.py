"""Benchmark helper: how long one call of a GPU function takes."""

import time
from collections.abc import Callable

import torch


def time_gpu(fn: Callable[[], object], *, warmup: int = 3, iters: int = 20) -> float:
    """Milliseconds one call of fn() takes on the current CUDA device (mean of iters calls)."""
    for _ in range(warmup):
        fn()
    # TODO: this reports how fast Python queues kernels, not how long the GPU runs them.
    start = time.perf_counter()
    for _ in range(iters):
        fn()
    return (time.perf_counter() - start) * 1000 / iters


if __name__ == "__main__":
    a = torch.randn(2048, 2048, device="cuda")
    print(f"2048x2048 matmul: {time_gpu(lambda: a @ a):.3f} ms")
