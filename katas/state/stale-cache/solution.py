"""An unmixing layer that caches the inverse of its weight."""

import torch
from torch import nn


class Whitened(nn.Module):
    """Maps each row x to inverse(weight) @ x, for x of shape (batch, dim)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.eye(dim) + 0.1 * torch.randn(dim, dim))
        # Inverting costs O(dim^3), so it is done once, not on every call. Derived from
        # weight, so it is kept out of checkpoints (but moves with .to() and .double()).
        self.register_buffer("inverse", torch.empty(dim, dim), persistent=False)
        self.refresh()
        # load_state_dict calls this after loading, wherever this module sits in a model
        self.register_load_state_dict_post_hook(_refresh_after_load)

    @torch.no_grad()  # a cache, not part of the autograd graph
    def refresh(self) -> None:
        """Recompute the cache from the current weight."""
        self.inverse = torch.linalg.inv(self.weight)  # a registered buffer stays registered

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.inverse.T


def _refresh_after_load(module: Whitened, incompatible_keys: object) -> None:
    module.refresh()


if __name__ == "__main__":
    trained = Whitened(4)
    served = Whitened(4)
    served.load_state_dict(trained.state_dict())
    x = torch.randn(2, 4)
    print("same weight:", torch.equal(served.weight, trained.weight))
    print("same output:", torch.allclose(served(x), trained(x)))
