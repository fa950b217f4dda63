"""Second solution for loader-flags: samplers spelled out. The training loader batches a
generator-driven RandomSampler with drop_last=True; the evaluation loader walks a
SequentialSampler."""

import torch
from torch.utils.data import BatchSampler, DataLoader, Dataset, RandomSampler, SequentialSampler


def make_loaders(
    train_ds: Dataset, eval_ds: Dataset, batch_size: int, generator: torch.Generator
) -> tuple[DataLoader, DataLoader]:
    shuffled = RandomSampler(train_ds, generator=generator)
    train_loader = DataLoader(
        train_ds, batch_sampler=BatchSampler(shuffled, batch_size, drop_last=True)
    )
    eval_loader = DataLoader(eval_ds, sampler=SequentialSampler(eval_ds), batch_size=batch_size)
    return train_loader, eval_loader
