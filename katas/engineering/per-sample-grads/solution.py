"""DP-SGD: each example's gradient is clipped on its own before the batch is averaged, so
training needs every example's gradient, not just the batch's."""

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, grad, vmap


def per_sample_grads(
    model: nn.Module, x: torch.Tensor, labels: torch.Tensor
) -> dict[str, torch.Tensor]:
    """{name: tensor of shape (N, *param.shape)}: row i is the gradient of example i's loss,
    F.cross_entropy(model(x[i:i+1]), labels[i:i+1]), alone."""
    # detached copies: torch.func differentiates with respect to what it is given, and
    # nothing here should stay attached to the model's own autograd graph
    params = {name: p.detach() for name, p in model.named_parameters()}
    buffers = {name: b.detach() for name, b in model.named_buffers()}

    def loss_of_one(params: dict[str, torch.Tensor], xi: torch.Tensor, yi: torch.Tensor):
        # inside vmap, xi is one example without its batch dimension: add it back
        logits = functional_call(model, (params, buffers), (xi.unsqueeze(0),))
        return F.cross_entropy(logits, yi.unsqueeze(0))

    # grad: d loss / d params for one example; vmap: that, for every row of x and labels at
    # once, with the same params (in_dims=None)
    return vmap(grad(loss_of_one), in_dims=(None, 0, 0))(params, x, labels)


if __name__ == "__main__":
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
    x, labels = torch.randn(5, 4), torch.randint(0, 3, (5,))
    grads = per_sample_grads(model, x, labels)
    norms = torch.cat([g.flatten(1) for g in grads.values()], dim=1).norm(dim=1)
    print("gradient norm of each example:", norms)  # the examples are all different...
