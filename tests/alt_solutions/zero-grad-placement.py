"""zero-grad-placement, written differently: no zero_grad at all. torch.autograd.grad returns
each batch's gradient without adding it anywhere, and assigning it to .grad replaces whatever
was there, so every step sees that batch's gradient alone."""

import torch
import torch.nn.functional as F
from torch import nn


def fit(
    model: nn.Module,
    temperature: nn.Parameter,
    optimizer: torch.optim.Optimizer,
    batches: list[tuple[torch.Tensor, torch.Tensor]],
) -> None:
    """One optimizer step per (x, y) batch; ``optimizer`` holds the model and the temperature."""
    params = [p for group in optimizer.param_groups for p in group["params"]]
    for x, y in batches:
        loss = F.cross_entropy(model(x) / temperature, y)
        grads = torch.autograd.grad(loss, params)
        for param, grad in zip(params, grads, strict=True):
            param.grad = grad
        optimizer.step()
