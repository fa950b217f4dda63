"""WRONG: drop_last=True on both loaders: training is fixed, but evaluation silently leaves
the incomplete last batch out of the metric.
Caught by: the evaluation loader yields every sample once, in dataset order."""

import torch
from torch.utils.data import DataLoader, Dataset


def make_loaders(
    train_ds: Dataset, eval_ds: Dataset, batch_size: int, generator: torch.Generator
) -> tuple[DataLoader, DataLoader]:
    train_loader = DataLoader(
        train_ds, batch_size=batch_size, shuffle=True, generator=generator, drop_last=True
    )
    eval_loader = DataLoader(eval_ds, batch_size=batch_size, drop_last=True)
    return train_loader, eval_loader
