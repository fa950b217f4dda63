"""A linear model's weights as raw tensors: create them, then update them after backward."""

import math
from collections.abc import Iterable

import torch


def init_params(
    n_in: int, n_out: int, device: torch.device | str = "cpu"
) -> tuple[torch.Tensor, torch.Tensor]:
    """weight (n_out, n_in) ~ U(-1/sqrt(n_in), 1/sqrt(n_in)), bias (n_out,) zeros; leaves."""
    bound = 1 / math.sqrt(n_in)
    weight = torch.empty(n_out, n_in, device=device, requires_grad=True)
    bias = torch.empty(n_out, device=device, requires_grad=True)
    # TODO: raises "a leaf Variable that requires grad is being used in an in-place operation"
    weight.uniform_(-bound, bound)
    bias.zero_()
    return weight, bias


def sgd_step_(params: Iterable[torch.Tensor], lr: float) -> None:
    """p -= lr * p.grad in place for every p; then clear the gradients for the next step."""
    for p in params:
        # TODO: raises as well; and nothing clears the gradient for the next step.
        p -= lr * p.grad


if __name__ == "__main__":
    torch.manual_seed(0)
    x = torch.randn(64, 3)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5]]) + 0.3
    weight, bias = init_params(3, 1)
    for _ in range(200):
        loss = ((x @ weight.T + bias - y) ** 2).mean()
        loss.backward()
        sgd_step_([weight, bias], lr=0.1)
    print(f"loss {loss.item():.5f}, weight {weight.detach().tolist()}, bias {bias.item():.3f}")
