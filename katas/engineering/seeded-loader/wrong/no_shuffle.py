"""WRONG: turns shuffling off for reproducibility: the same order in every run, but
also in every epoch, whatever the seed.
Caught by: each epoch is a new shuffle."""

import torch
from torch.utils.data import DataLoader, Dataset


def make_loader(dataset: Dataset, batch_size: int, seed: int) -> DataLoader:
    return DataLoader(dataset, batch_size=batch_size, shuffle=False)
