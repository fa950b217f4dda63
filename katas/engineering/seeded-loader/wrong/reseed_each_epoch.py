"""WRONG: a sampler that seeds a fresh generator at the start of every epoch: every
epoch replays the first epoch's order.
Caught by: each epoch is a new shuffle."""

from collections.abc import Iterator

import torch
from torch.utils.data import DataLoader, Dataset, Sampler


class _Reseeded(Sampler[int]):
    def __init__(self, n: int, seed: int) -> None:
        self.n, self.seed = n, seed

    def __len__(self) -> int:
        return self.n

    def __iter__(self) -> Iterator[int]:
        generator = torch.Generator().manual_seed(self.seed)
        return iter(torch.randperm(self.n, generator=generator).tolist())


def make_loader(dataset: Dataset, batch_size: int, seed: int) -> DataLoader:
    return DataLoader(
        dataset, batch_size=batch_size, sampler=_Reseeded(len(dataset), seed)
    )
