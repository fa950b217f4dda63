"""Second solution for sampler-set-epoch: no DistributedSampler. Each epoch draws one
permutation from a generator seeded with seed + epoch (the same on every rank), pads it to a
multiple of world_size with its own first samples, and takes every world_size-th sample from
position rank on."""

import math

import torch


def train_rank(dataset, rank, world_size, seed, epochs, batch_size, train_step):
    n = len(dataset)
    share = math.ceil(n / world_size)
    for epoch in range(epochs):
        generator = torch.Generator().manual_seed(seed * 1000 + epoch)
        order = torch.randperm(n, generator=generator)
        padded = order.repeat(math.ceil(share * world_size / n))[: share * world_size]
        mine = padded[rank::world_size].tolist()
        for start in range(0, share, batch_size):
            train_step(torch.tensor([dataset[i] for i in mine[start : start + batch_size]]))
