"""WRONG: one generator at module level, re-seeded by each call: two loaders
share it, so iterating one moves the other's order.
Caught by: the same seed gives the same order, whatever the global generator did in between."""

import torch
from torch.utils.data import DataLoader, Dataset

GENERATOR = torch.Generator()


def make_loader(dataset: Dataset, batch_size: int, seed: int) -> DataLoader:
    GENERATOR.manual_seed(seed)
    return DataLoader(dataset, batch_size=batch_size, shuffle=True, generator=GENERATOR)
