"""WRONG: drops the .to(device) along with the in-place ops: X is safe, but when X sits on the
CPU its batches never reach the device, and mixing them with mean and std fails.
Caught by: each batch is (X[i:i+B] - mean) / std, float32 on the device."""

from collections.abc import Iterator

import torch


def batches(
    X: torch.Tensor, mean: torch.Tensor, std: torch.Tensor, batch_size: int, device: torch.device
) -> Iterator[torch.Tensor]:
    for i in range(0, len(X), batch_size):
        yield (X[i : i + batch_size] - mean) / std
