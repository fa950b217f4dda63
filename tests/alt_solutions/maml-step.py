"""The MAML inner step written with torch.func.grad over a dict of parameters: the inner
gradient is itself a differentiable function of the parameters, so the outer backward sees
the second-order term without create_graph."""

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, grad


def meta_loss(
    model: nn.Module,
    support: tuple[torch.Tensor, torch.Tensor],
    query: tuple[torch.Tensor, torch.Tensor],
    lr: float,
) -> torch.Tensor:
    def loss_at(params: dict[str, torch.Tensor], x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.mse_loss(functional_call(model, params, (x,)), y)

    params = dict(model.named_parameters())
    step = grad(loss_at)(params, *support)
    adapted = {name: params[name] - lr * step[name] for name in params}
    return loss_at(adapted, *query)
