"""WRONG: draws one seeded permutation up front and passes it as the sampler: the
order is reproducible but the same in every epoch.
Caught by: each epoch is a new shuffle."""

import torch
from torch.utils.data import DataLoader, Dataset


def make_loader(dataset: Dataset, batch_size: int, seed: int) -> DataLoader:
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(dataset), generator=generator).tolist()
    return DataLoader(dataset, batch_size=batch_size, sampler=order)
