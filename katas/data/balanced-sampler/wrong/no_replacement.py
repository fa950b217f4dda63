"""WRONG: per-sample weights, but replacement=False: drawing as many indices as there are
samples is then a weighted permutation, every sample once, the classes in the dataset's own
proportions (and drawing more than that raises).
Caught by: each class makes up 1/C of the draws, within 0.02."""

import torch
from torch.utils.data import Sampler, WeightedRandomSampler


def balanced_sampler(
    labels: torch.Tensor, num_samples: int, generator: torch.Generator
) -> Sampler[int]:
    weights = (1.0 / torch.bincount(labels).double())[labels]
    return WeightedRandomSampler(weights, num_samples, replacement=False, generator=generator)
