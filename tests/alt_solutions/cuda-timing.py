"""Second solution for cuda-timing: a wall clock bracketed by torch.cuda.synchronize()."""

import time
from collections.abc import Callable

import torch


def time_gpu(fn: Callable[[], object], *, warmup: int = 3, iters: int = 20) -> float:
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()  # the GPU is idle: nothing queued earlier is counted
    began = time.perf_counter_ns()
    for _ in range(iters):
        fn()
    torch.cuda.synchronize()  # the timed kernels have finished
    return (time.perf_counter_ns() - began) / 1e6 / iters
