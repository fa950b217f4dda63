"""A data loader whose shuffling is reproducible: the same seed, the same batches."""

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset


def make_loader(dataset: Dataset, batch_size: int, seed: int) -> DataLoader:
    """A loader that shuffles ``dataset`` anew each epoch, in an order fixed by ``seed``."""
    # The loader's own generator, seeded once: the global generator (model init, dropout)
    # cannot move it, and it advances from epoch to epoch.
    generator = torch.Generator()
    generator.manual_seed(seed)
    return DataLoader(dataset, batch_size=batch_size, shuffle=True, generator=generator)


if __name__ == "__main__":
    data = torch.arange(10)
    for layers in (1, 2):  # the same experiment, before and after adding a layer
        loader = make_loader(data, batch_size=4, seed=0)
        nn.Sequential(*[nn.Linear(8, 8) for _ in range(layers)])  # its init draws random numbers
        first = [batch.tolist() for batch in loader]
        second = [batch.tolist() for batch in loader]
        print(f"{layers} layer(s): epoch 1 {first}, epoch 2 {second}")
