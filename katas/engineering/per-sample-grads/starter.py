"""DP-SGD: each example's gradient is clipped on its own before the batch is averaged, so
training needs every example's gradient, not just the batch's."""

import torch
import torch.nn.functional as F
from torch import nn


def per_sample_grads(
    model: nn.Module, x: torch.Tensor, labels: torch.Tensor
) -> dict[str, torch.Tensor]:
    """{name: tensor of shape (N, *param.shape)}: row i is the gradient of example i's loss,
    F.cross_entropy(model(x[i:i+1]), labels[i:i+1]), alone."""
    # TODO: every row comes out the same. Compute each example's own gradient, in one
    # batched pass (torch.func), without touching the model.
    names = [name for name, _ in model.named_parameters()]
    loss = F.cross_entropy(model(x), labels)
    grads = torch.autograd.grad(loss, list(model.parameters()))
    return {name: g.expand(len(x), *g.shape) for name, g in zip(names, grads)}


if __name__ == "__main__":
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
    x, labels = torch.randn(5, 4), torch.randint(0, 3, (5,))
    grads = per_sample_grads(model, x, labels)
    norms = torch.cat([g.flatten(1) for g in grads.values()], dim=1).norm(dim=1)
    print("gradient norm of each example:", norms)  # the examples are all different...
