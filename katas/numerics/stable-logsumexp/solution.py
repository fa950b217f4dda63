"""log(sum(exp(x))) along a dimension, from elementary operations only."""

import torch


def logsumexp(x: torch.Tensor, dim: int, keepdim: bool = False) -> torch.Tensor:
    """log(sum(exp(x))) along dim, as torch.logsumexp computes it."""
    # Shift by each slice's maximum: every exp(x - m) is then in (0, 1] and one of them is
    # 1, so nothing overflows and the sum's log is finite.
    m = x.amax(dim=dim, keepdim=True)
    # An infinite maximum (a slice of all -inf, or one holding inf) would make x - m NaN;
    # shifting by 0 there gives the right -inf or inf. The shift cancels in the gradient,
    # so it needs none.
    m = torch.where(m.isfinite(), m, torch.zeros_like(m)).detach()
    out = m + torch.exp(x - m).sum(dim=dim, keepdim=True).log()
    return out if keepdim else out.squeeze(dim)


if __name__ == "__main__":
    scores = torch.tensor([[1000.0, 1001.0, 999.0], [-1000.0, -1001.0, -999.0]])
    print("yours:", logsumexp(scores, dim=1).tolist())
    print("torch:", torch.logsumexp(scores, dim=1).tolist())
