"""Second solution for per-sample-grads: the Jacobian of the vector of per-example losses
(reduction="none") with respect to each parameter, by reverse mode (torch.func.jacrev). Row i of
that Jacobian is example i's gradient, since the model treats examples independently."""

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, jacrev


def per_sample_grads(
    model: nn.Module, x: torch.Tensor, labels: torch.Tensor
) -> dict[str, torch.Tensor]:
    names = [name for name, _ in model.named_parameters()]
    weights = tuple(p.detach() for _, p in model.named_parameters())

    def losses(*ws: torch.Tensor) -> torch.Tensor:
        logits = functional_call(model, dict(zip(names, ws, strict=True)), (x,))
        return F.cross_entropy(logits, labels, reduction="none")

    jacobians = jacrev(losses, argnums=tuple(range(len(weights))))(*weights)
    return dict(zip(names, jacobians, strict=True))
