"""WRONG: shrinks x itself with resize_ to drop the other rows: the caller's x loses them,
and resize_ keeps the storage, so the file is as large as before.
Caught by: x keeps its shape and values (also: the file holds only the first n rows)."""

import torch


def save_rows(x: torch.Tensor, n: int, path: str) -> None:
    x.resize_(n, *x.shape[1:])
    torch.save(x, path)
