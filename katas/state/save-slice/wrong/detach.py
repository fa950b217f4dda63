"""WRONG: .detach() cuts the autograd link but shares the storage: the file still holds
all of x.
Caught by: the file holds only the first n rows (under 2 x their bytes + 4 KiB)."""

import torch


def save_rows(x: torch.Tensor, n: int, path: str) -> None:
    torch.save(x[:n].detach(), path)
