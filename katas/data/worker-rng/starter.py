"""Jitter augmentation for a point-cloud dataset, read by a DataLoader with workers."""

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset


class Jitter(Dataset):
    """Each sample, with fresh Gaussian noise (std 0.1) added every time it is read."""

    def __init__(self, points: torch.Tensor, seed: int) -> None:
        self.points = points
        # TODO: every worker process gets a copy of this generator, in the same state.
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
    """A shuffling loader whose order follows ``generator``."""
    return DataLoader(
        dataset, batch_size=batch_size, shuffle=True, num_workers=num_workers, generator=generator
    )


if __name__ == "__main__":
    points = torch.zeros(8, 3)  # zero points: what comes out is the noise
    loader = make_loader(Jitter(points, seed=0), 2, 2, torch.Generator().manual_seed(0))
    for epoch in (1, 2):
        noise = {int(i): round(float(x[0]), 4) for xs, ids in loader for x, i in zip(xs, ids, strict=True)}
        print(f"epoch {epoch}, noise by sample:", dict(sorted(noise.items())))
