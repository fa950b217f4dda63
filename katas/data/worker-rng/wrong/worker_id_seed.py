"""WRONG: a worker_init_fn that reseeds the dataset's generator with the worker id: the
workers now differ, but each epoch's workers get the same seeds again, so every epoch
repeats the same noise.
Caught by: with workers, every epoch draws new noise."""

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, get_worker_info


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
    get_worker_info().dataset.rng = np.random.default_rng(worker_id)


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
