"""WRONG: a seeded RandomSampler on each rank instead of a DistributedSampler: every rank
walks the whole dataset each epoch, so the ranks repeat each other's work.
Caught by: each epoch, the ranks' shares together hold every sample."""

from collections.abc import Callable

import torch
from torch.utils.data import DataLoader, Dataset, RandomSampler


def train_rank(
    dataset: Dataset,
    rank: int,
    world_size: int,
    seed: int,
    epochs: int,
    batch_size: int,
    train_step: Callable[[torch.Tensor], None],
) -> None:
    sampler = RandomSampler(dataset, generator=torch.Generator().manual_seed(seed))
    loader = DataLoader(dataset, batch_size=batch_size, sampler=sampler)
    for _ in range(epochs):
        for batch in loader:
            train_step(batch)
