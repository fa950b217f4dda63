"""WRONG: the fast expansion ||a||² + ||b||² - 2 a·b without a clamp: for float32 points far
from the origin the difference of millions cancels, comes out negative, and the root is NaN.
Caught by: float32 points around 1000 give exact distances, and 0 (not NaN) on the
diagonal."""

import torch


def pairwise_dist(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    d2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T
    return d2.sqrt()
