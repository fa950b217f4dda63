"""WRONG: "fixes" the duplicates by ignoring num_workers and loading in the main process: the
noise is right again, but the loading the workers were there to speed up is back on the
training loop's critical path.
Caught by: with 2 workers, no two samples of an epoch get the same noise."""

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset


class Jitter(Dataset):
    def __init__(self, points: torch.Tensor, seed: int) -> None:
        self.points = points
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return len(self.points)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        point = self.points[index]
        noise = self.rng.normal(0.0, 0.1, size=point.shape)
        return point + torch.from_numpy(noise).to(point.dtype), index


def make_loader(
    dataset: Dataset, batch_size: int, num_workers: int, generator: torch.Generator
) -> DataLoader:
    return DataLoader(dataset, batch_size=batch_size, shuffle=True, generator=generator)
