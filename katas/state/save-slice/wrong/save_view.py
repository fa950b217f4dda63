"""WRONG: saves the slice itself: x[:n] is a view, and torch.save writes its whole storage,
all of x, whatever n is.
Caught by: the file holds only the first n rows (under 2 x their bytes + 4 KiB)."""

import torch


def save_rows(x: torch.Tensor, n: int, path: str) -> None:
    torch.save(x[:n], path)
