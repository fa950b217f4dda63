"""Benchmark helper: how long one call of a GPU function takes."""

from collections.abc import Callable

import torch


def time_gpu(fn: Callable[[], object], *, warmup: int = 3, iters: int = 20) -> float:
    """Milliseconds one call of fn() takes on the current CUDA device (mean of iters calls)."""
    for _ in range(warmup):  # lazy initialisation and autotuning happen here, untimed
        fn()
    start = torch.cuda.Event(enable_timing=True)
    end = torch.cuda.Event(enable_timing=True)
    # Events are timestamps taken by the GPU in stream order: start is taken only once the
    # warm-up and anything queued before it have run, end once the timed calls have.
    start.record()
    for _ in range(iters):
        fn()
    end.record()
    end.synchronize()  # wait for the GPU to reach end before reading it
    return start.elapsed_time(end) / iters


if __name__ == "__main__":
    a = torch.randn(2048, 2048, device="cuda")
    print(f"2048x2048 matmul: {time_gpu(lambda: a @ a):.3f} ms")
