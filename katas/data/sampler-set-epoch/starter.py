"""The data loop of one rank in data-parallel training."""

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
    """Call train_step(batch) on every batch of this rank's share, epoch after epoch."""
    sampler = DistributedSampler(dataset, num_replicas=world_size, rank=rank, seed=seed)
    loader = DataLoader(dataset, batch_size=batch_size, sampler=sampler)
    for epoch in range(epochs):
        # TODO: every epoch goes through the same samples in the same order.
        for batch in loader:
            train_step(batch)


if __name__ == "__main__":
    for rank in range(2):
        seen: list[torch.Tensor] = []
        train_rank(list(range(10)), rank, 2, 0, 3, 5, seen.append)  # 3 epochs of 5 samples
        print(f"rank {rank}, one batch per epoch:", [batch.tolist() for batch in seen])
