"""WRONG: leaves the sampler's seed at its default, 0: the ranks agree and the epochs differ,
but the seed argument changes nothing.
Caught by: the same seed reproduces every epoch, and another seed gives other orders."""

from collections.abc import Callable

import torch
from torch.utils.data import DataLoader, Dataset, DistributedSampler


def train_rank(
    dataset: Dataset,
    rank: int,
    world_size: int,
    seed: int,
    epochs: int,
    batch_size: int,
    train_step: Callable[[torch.Tensor], None],
) -> None:
    sampler = DistributedSampler(dataset, num_replicas=world_size, rank=rank)
    loader = DataLoader(dataset, batch_size=batch_size, sampler=sampler)
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        for batch in loader:
            train_step(batch)
