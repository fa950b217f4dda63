"""Second solution for seeded-loader: a batch sampler that shuffles the indices with Python's
random.Random, created from the seed when the loader is built and advancing every epoch."""

import random

from torch.utils.data import DataLoader


class ShuffledBatches:
    def __init__(self, n: int, batch_size: int, seed: int) -> None:
        self.n = n
        self.batch_size = batch_size
        self.rng = random.Random(seed)

    def __len__(self) -> int:
        return -(-self.n // self.batch_size)

    def __iter__(self):
        order = list(range(self.n))
        self.rng.shuffle(order)
        for start in range(0, self.n, self.batch_size):
            yield order[start : start + self.batch_size]


def make_loader(dataset, batch_size, seed):
    return DataLoader(dataset, batch_sampler=ShuffledBatches(len(dataset), batch_size, seed))
