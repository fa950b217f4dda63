"""WRONG: also passes shuffle=True to the DataLoader, to be sure it shuffles: a sampler and
shuffle cannot be combined, and the DataLoader raises.
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
    sampler = DistributedSampler(dataset, num_replicas=world_size, rank=rank, seed=seed)
    loader = DataLoader(dataset, batch_size=batch_size, sampler=sampler, shuffle=True)
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        for batch in loader:
            train_step(batch)
