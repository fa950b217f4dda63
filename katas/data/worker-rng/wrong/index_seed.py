"""WRONG: a generator seeded from the dataset seed and the sample index, made for every read:
distinct across samples and workers, and reproducible, but each sample gets the same noise
every epoch.
Caught by: with workers, every epoch draws new noise."""

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset


class Jitter(Dataset):
    def __init__(self, points: torch.Tensor, seed: int) -> None:
        self.points = points
        self.seed = seed

    def __len__(self) -> int:
        return len(self.points)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        point = self.points[index]
        rng = np.random.default_rng([self.seed, index])
        noise = rng.normal(0.0, 0.1, size=point.shape)
        return point + torch.from_numpy(noise).to(point.dtype), index


def make_loader(
    dataset: Dataset, batch_size: int, num_workers: int, generator: torch.Generator
) -> DataLoader:
    return DataLoader(
        dataset, batch_size=batch_size, shuffle=True, num_workers=num_workers, generator=generator
    )
