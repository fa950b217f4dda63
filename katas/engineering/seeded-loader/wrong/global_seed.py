"""WRONG: seeds the global generator and shuffles with it: the permutation is drawn
when each epoch starts, after whatever else drew random numbers since (the model's init), and
the helper resets the whole program's random stream.
Caught by: the same seed gives the same order, whatever the global generator did in between."""

import torch
from torch.utils.data import DataLoader, Dataset


def make_loader(dataset: Dataset, batch_size: int, seed: int) -> DataLoader:
    torch.manual_seed(seed)
    return DataLoader(dataset, batch_size=batch_size, shuffle=True)
