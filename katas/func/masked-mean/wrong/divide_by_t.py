"""WRONG: sums the masked steps but divides by T, the padded length: short sentences get
embeddings shrunk towards zero, by how much depends on the longest sentence in the batch.
Caught by: masked_mean(x, mask)[b] is the mean of x[b, t] over the valid steps t of row b."""

import torch


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return (x * mask.unsqueeze(-1)).sum(dim=1) / x.shape[1]
