"""WRONG: x.narrow(0, 0, n) is another way to write the same view as x[:n].
Caught by: the file holds only the first n rows (under 2 x their bytes + 4 KiB)."""

import torch


def save_rows(x: torch.Tensor, n: int, path: str) -> None:
    torch.save(x.narrow(0, 0, n), path)
