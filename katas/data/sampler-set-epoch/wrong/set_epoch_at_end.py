"""WRONG: calls set_epoch at the end of the epoch loop body: the first epoch runs with the
default epoch 0 and the second with set_epoch(0), so epochs 0 and 1 are the same.
Caught by: each epoch is a new shuffle."""

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
    sampler = DistributedSampler(dataset, num_replicas=world_size, rank=rank, seed=seed)
    loader = DataLoader(dataset, batch_size=batch_size, sampler=sampler)
    for epoch in range(epochs):
        for batch in loader:
            train_step(batch)
        sampler.set_epoch(epoch)
