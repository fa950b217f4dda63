"""WRONG: adds .contiguous() to get a tensor of its own: a slice of rows is already
contiguous, so it returns the view itself, and the in-place ops write into X.
Caught by: X, mean and std are bit for bit unchanged after two epochs."""

from collections.abc import Iterator

import torch


def batches(
    X: torch.Tensor, mean: torch.Tensor, std: torch.Tensor, batch_size: int, device: torch.device
) -> Iterator[torch.Tensor]:
    for i in range(0, len(X), batch_size):
        b = X[i : i + batch_size].to(device).contiguous()
        b.sub_(mean).div_(std)
        yield b
