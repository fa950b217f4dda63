"""WRONG: seeds inside torch.random.fork_rng, so the global generator is restored,
but the shuffle happens later, when an epoch starts, and then draws from the global
generator wherever it stands.
Caught by: the same seed gives the same order, whatever the global generator did in between."""

import torch
from torch.utils.data import DataLoader, Dataset


def make_loader(dataset: Dataset, batch_size: int, seed: int) -> DataLoader:
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return DataLoader(dataset, batch_size=batch_size, shuffle=True)
