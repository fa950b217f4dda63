"""WRONG: right weights, but the generator is not passed on: the draws come from torch's
global random generator, so they change with every other random number the program draws.
Caught by: the draws come from the generator alone, and each pass draws anew."""

import torch
from torch.utils.data import Sampler, WeightedRandomSampler


def balanced_sampler(
    labels: torch.Tensor, num_samples: int, generator: torch.Generator
) -> Sampler[int]:
    weights = (1.0 / torch.bincount(labels).double())[labels]
    return WeightedRandomSampler(weights, num_samples)
