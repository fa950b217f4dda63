"""WRONG: passes the per-class weights (length C) to WeightedRandomSampler, which takes them
for per-sample weights and silently draws only the indices 0..C-1.
Caught by: the draws cover the whole dataset: every sample of the rarest class comes up."""

import torch
from torch.utils.data import Sampler, WeightedRandomSampler


def balanced_sampler(
    labels: torch.Tensor, num_samples: int, generator: torch.Generator
) -> Sampler[int]:
    class_weights = 1.0 / torch.bincount(labels).double()
    return WeightedRandomSampler(class_weights, num_samples, generator=generator)
