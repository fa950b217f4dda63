"""WRONG: normalises into one preallocated buffer, reused for every batch: X is safe, but each
new batch overwrites the one yielded before, under the feet of a loop that kept it.
Caught by: a batch already yielded keeps its values while later batches are made."""

from collections.abc import Iterator

import torch


def batches(
    X: torch.Tensor, mean: torch.Tensor, std: torch.Tensor, batch_size: int, device: torch.device
) -> Iterator[torch.Tensor]:
    buffer = torch.empty(batch_size, X.shape[1], dtype=X.dtype, device=device)
    for i in range(0, len(X), batch_size):
        b = buffer[: len(X[i : i + batch_size])]
        b.copy_(X[i : i + batch_size])
        b.sub_(mean).div_(std)
        yield b
