"""Batches from a dataset held in one tensor, normalised per feature."""

from collections.abc import Iterator

import torch


def batches(
    X: torch.Tensor, mean: torch.Tensor, std: torch.Tensor, batch_size: int, device: torch.device
) -> Iterator[torch.Tensor]:
    """One epoch: yields (X[i:i+batch_size] - mean) / std on device, in order."""
    for i in range(0, len(X), batch_size):
        # .to(device) returns the slice itself when X is already on device: a view into X.
        # Out-of-place arithmetic allocates the batch, so X is only read.
        yield (X[i : i + batch_size].to(device) - mean) / std


if __name__ == "__main__":
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(0)
    X = (torch.randn(6, 3) * 4 + 10).to(device)  # preloaded on the device
    mean, std = X.mean(0), X.std(0)
    for epoch in (1, 2):
        first = next(iter(batches(X, mean, std, 4, device)))
        print(f"epoch {epoch}, first batch, first row: {first[0].tolist()}")
