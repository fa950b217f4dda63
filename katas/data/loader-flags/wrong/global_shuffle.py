"""WRONG: shuffles without the generator it was given: the order comes from torch's global
random generator, so it changes whenever the rest of the program draws one more number.
Caught by: training shuffles with the generator alone, a new order every epoch."""

import torch
from torch.utils.data import DataLoader, Dataset


def make_loaders(
    train_ds: Dataset, eval_ds: Dataset, batch_size: int, generator: torch.Generator
) -> tuple[DataLoader, DataLoader]:
    train_loader = DataLoader(train_ds, batch_size=batch_size, shuffle=True, drop_last=True)
    eval_loader = DataLoader(eval_ds, batch_size=batch_size)
    return train_loader, eval_loader
