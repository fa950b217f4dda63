"""WRONG: drop_last on neither loader: evaluation is fixed, but each training epoch still ends
with a batch of one, which BatchNorm refuses in training mode.
Caught by: a training epoch of a BatchNorm model never gets a batch of one."""

import torch
from torch.utils.data import DataLoader, Dataset


def make_loaders(
    train_ds: Dataset, eval_ds: Dataset, batch_size: int, generator: torch.Generator
) -> tuple[DataLoader, DataLoader]:
    train_loader = DataLoader(train_ds, batch_size=batch_size, shuffle=True, generator=generator)
    eval_loader = DataLoader(eval_ds, batch_size=batch_size)
    return train_loader, eval_loader
