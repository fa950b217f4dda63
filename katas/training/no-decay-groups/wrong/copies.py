"""WRONG: puts detached copies of the parameters in the groups: AdamW then updates the copies,
and the model never changes.
Caught by: every parameter is in exactly one group, the tied weight once."""

from torch import nn


def param_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Parameter groups for torch.optim.AdamW: decay the weights that have 2 or more dims,
    and nothing else."""
    decay, no_decay = [], []
    for param in model.parameters():
        copy = param.detach().clone().requires_grad_()
        if param.ndim >= 2:
            decay.append(copy)
        else:
            no_decay.append(copy)
    return [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
