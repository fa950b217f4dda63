"""WRONG: draws the balanced indices once, when the sampler is built, and returns that list:
reproducible, but every epoch replays the same draws.
Caught by: the draws come from the generator alone, and each pass draws anew."""

import torch


def balanced_sampler(labels: torch.Tensor, num_samples: int, generator: torch.Generator) -> list:
    weights = (1.0 / torch.bincount(labels).double())[labels]
    return torch.multinomial(weights, num_samples, replacement=True, generator=generator).tolist()
