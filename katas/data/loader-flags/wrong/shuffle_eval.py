"""WRONG: only training gets drop_last=True; both loaders still share shuffle=True and the
generator, so the evaluation loader shuffles and the predictions come out permuted.
Caught by: the evaluation loader yields every sample once, in dataset order."""

import torch
from torch.utils.data import DataLoader, Dataset


def make_loaders(
    train_ds: Dataset, eval_ds: Dataset, batch_size: int, generator: torch.Generator
) -> tuple[DataLoader, DataLoader]:
    options = {"batch_size": batch_size, "shuffle": True, "generator": generator}
    return DataLoader(train_ds, drop_last=True, **options), DataLoader(eval_ds, **options)
