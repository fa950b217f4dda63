"""log(sum(exp(x))) along a dimension, from elementary operations only."""

import torch


def logsumexp(x: torch.Tensor, dim: int, keepdim: bool = False) -> torch.Tensor:
    """log(sum(exp(x))) along dim, as torch.logsumexp computes it."""
    # TODO: scores in the hundreds give inf, and very negative ones -inf.
    return torch.log(torch.sum(torch.exp(x), dim=dim, keepdim=keepdim))


if __name__ == "__main__":
    scores = torch.tensor([[1000.0, 1001.0, 999.0], [-1000.0, -1001.0, -999.0]])
    print("yours:", logsumexp(scores, dim=1).tolist())
    print("torch:", torch.logsumexp(scores, dim=1).tolist())
