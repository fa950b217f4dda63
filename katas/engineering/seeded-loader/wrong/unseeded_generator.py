"""WRONG: passes a generator of its own but never seeds it: every torch.Generator()
starts from the same default seed, so the seed argument changes nothing.
Caught by: different seeds give different orders."""

import torch
from torch.utils.data import DataLoader, Dataset


def make_loader(dataset: Dataset, batch_size: int, seed: int) -> DataLoader:
    return DataLoader(
        dataset, batch_size=batch_size, shuffle=True, generator=torch.Generator()
    )
