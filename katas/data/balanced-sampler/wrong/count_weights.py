"""WRONG: weights each sample by its class's count instead of its inverse: the common class
is drawn even more often than in the dataset.
Caught by: each class makes up 1/C of the draws, within 0.02."""

import torch
from torch.utils.data import Sampler, WeightedRandomSampler


def balanced_sampler(
    labels: torch.Tensor, num_samples: int, generator: torch.Generator
) -> Sampler[int]:
    weights = torch.bincount(labels).double()[labels]
    return WeightedRandomSampler(weights, num_samples, generator=generator)
