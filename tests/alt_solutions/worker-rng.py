"""Second solution for worker-rng: a torch.Generator instead of NumPy's, reseeded lazily in
__getitem__ whenever the worker seed it was seeded for is not the current worker's (a new
worker, or a new epoch); without workers, the generator seeded in __init__ is kept."""

import torch
from torch.utils.data import DataLoader, Dataset, get_worker_info


class Jitter(Dataset):
    def __init__(self, points, seed):
        self.points = points
        self.generator = torch.Generator().manual_seed(seed)
        self.worker_seed = None

    def __len__(self):
        return self.points.shape[0]

    def __getitem__(self, index):
        info = get_worker_info()
        if info is not None and info.seed != self.worker_seed:
            self.generator = torch.Generator().manual_seed(info.seed)
            self.worker_seed = info.seed
        point = self.points[index]
        noise = torch.randn(point.shape, generator=self.generator, dtype=torch.float64) * 0.1
        return point + noise.to(point.dtype), index


def make_loader(dataset, batch_size, num_workers, generator):
    return DataLoader(
        dataset, batch_size=batch_size, shuffle=True, num_workers=num_workers, generator=generator
    )
