"""Mean pooling of token states into one vector per sentence, for a sentence-embedding
model whose batches are padded to the longest sentence."""

import torch


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The mean of ``x`` (B, T, D) over the steps where ``mask`` (B, T) is True, as (B, D);
    zeros for a row with no valid step."""
    keep = mask.unsqueeze(-1)  # (B, T, 1): broadcasts over D
    # select, do not multiply: NaN * 0 and inf * 0 are NaN, while where() never reads the
    # padded values (and sends them a gradient of exactly 0)
    total = torch.where(keep, x, torch.zeros((), dtype=x.dtype, device=x.device)).sum(dim=1)
    # a row with no valid step has total 0: dividing by 1 keeps it 0 instead of 0 / 0 = NaN
    count = keep.sum(dim=1).clamp(min=1)
    return total / count


if __name__ == "__main__":
    x = torch.randn(3, 4, 2)
    mask = torch.tensor([[1, 1, 1, 0], [1, 0, 0, 0], [0, 0, 0, 0]], dtype=torch.bool)
    x[~mask] = float("nan")  # what a fully masked attention row leaves in the padding
    print(masked_mean(x, mask))
