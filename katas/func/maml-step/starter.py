"""MAML on sine-wave regression: the model learns an initialisation from which one SGD step
on a task's few support points fits the task. The meta-loss is the query loss after that
step, and it must be differentiated with respect to the initialisation."""

import copy

import torch
import torch.nn.functional as F
from torch import nn


def meta_loss(
    model: nn.Module,
    support: tuple[torch.Tensor, torch.Tensor],
    query: tuple[torch.Tensor, torch.Tensor],
    lr: float,
) -> torch.Tensor:
    """The query MSE of ``model`` after one SGD step of size ``lr`` on the support MSE,
    differentiable with respect to ``model``'s parameters."""
    # TODO: the value is right, but model's parameters get no meta-gradient: meta-training
    # never moves the initialisation.
    xs, ys = support
    params = dict(model.named_parameters())
    support_loss = F.mse_loss(model(xs), ys)
    grads = torch.autograd.grad(support_loss, list(params.values()))
    adapted = copy.deepcopy(model)
    adapted.load_state_dict({name: p - lr * g for (name, p), g in zip(params.items(), grads)})
    xq, yq = query
    return F.mse_loss(adapted(xq), yq)


if __name__ == "__main__":
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 1))
    x = torch.rand(20, 1) * 6 - 3
    y = 1.5 * torch.sin(x + 0.4)  # one task: a sine wave with its own amplitude and phase
    loss = meta_loss(model, (x[:5], y[:5]), (x[5:], y[5:]), lr=0.1)
    loss.backward()
    grad = model[0].weight.grad
    print(f"meta-loss {loss.item():.4f}")
    print("meta-gradient of the first layer's weight:", None if grad is None else grad.norm())
