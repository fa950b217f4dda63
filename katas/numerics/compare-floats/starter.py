"""The comparison every kernel test ends with: assert matches(got, expected)."""

import torch


def matches(got: torch.Tensor, expected: torch.Tensor) -> bool:
    """Whether a kernel's output matches its reference's, for the test suite."""
    # TODO: fails at random for sums that are right but computed in another order.
    return torch.equal(got, expected)


if __name__ == "__main__":
    torch.manual_seed(0)
    x = torch.randn(100_000) * 3 + 0.3
    chunked = sum(chunk.sum() for chunk in x.split(1000))  # a fused kernel's order
    print(f"x.sum() = {x.sum().item():.6f}, chunked = {chunked.item():.6f}")
    print("matches:", matches(chunked, x.sum()))
