"""WRONG: seeds each rank's sampler with seed + rank, to vary the ranks: each rank then
takes its share of a different permutation, so the shares overlap and some samples are
never seen.
Caught by: each epoch, the ranks' shares together hold every sample."""

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
    sampler = DistributedSampler(dataset, num_replicas=world_size, rank=rank, seed=seed + rank)
    loader = DataLoader(dataset, batch_size=batch_size, sampler=sampler)
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        for batch in loader:
            train_step(batch)
