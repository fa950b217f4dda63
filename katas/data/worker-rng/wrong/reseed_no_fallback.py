"""WRONG: reseeds lazily in __getitem__ from get_worker_info().seed, right inside workers,
but without a fallback: with num_workers=0 get_worker_info() is None, and reading crashes.
Caught by: with num_workers=0, the noise is distinct, new each epoch, and reproducible."""

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, get_worker_info


class Jitter(Dataset):
    def __init__(self, points: torch.Tensor, seed: int) -> None:
        self.points = points
        self.rng = np.random.default_rng(seed)
        self.seeded_for = None

    def __len__(self) -> int:
        return len(self.points)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        info = get_worker_info()
        if self.seeded_for != info.seed:
            self.rng, self.seeded_for = np.random.default_rng(info.seed), info.seed
        point = self.points[index]
        noise = self.rng.normal(0.0, 0.1, size=point.shape)
        return point + torch.from_numpy(noise).to(point.dtype), index


def make_loader(
    dataset: Dataset, batch_size: int, num_workers: int, generator: torch.Generator
) -> DataLoader:
    return DataLoader(
        dataset, batch_size=batch_size, shuffle=True, num_workers=num_workers, generator=generator
    )
