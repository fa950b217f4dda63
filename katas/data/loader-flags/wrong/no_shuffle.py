"""WRONG: gives up shuffling to make both loaders alike: training sees the same batches in
the same order every epoch.
Caught by: training shuffles with the generator alone, a new order every epoch."""

import torch
from torch.utils.data import DataLoader, Dataset


def make_loaders(
    train_ds: Dataset, eval_ds: Dataset, batch_size: int, generator: torch.Generator
) -> tuple[DataLoader, DataLoader]:
    train_loader = DataLoader(train_ds, batch_size=batch_size, drop_last=True)
    eval_loader = DataLoader(eval_ds, batch_size=batch_size)
    return train_loader, eval_loader
