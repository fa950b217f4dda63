"""WRONG: a worker_init_fn that calls np.random.seed: that seeds NumPy's global state (which
the loader already seeds per worker), not the dataset's own generator, which every worker
still copies in the same state.
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


def _reseed(worker_id: int) -> None:
    np.random.seed(torch.initial_seed() % 2**32)


def make_loader(
    dataset: Dataset, batch_size: int, num_workers: int, generator: torch.Generator
) -> DataLoader:
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=True,
        num_workers=num_workers,
        generator=generator,
        worker_init_fn=_reseed,
    )
