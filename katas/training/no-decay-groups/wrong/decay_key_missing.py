"""WRONG: sets 'weight_decay': 0.0 on the no-decay group but leaves the key out of the decay
group, assuming the optimizer was built with weight_decay=wd: it gets AdamW's default, 0.01.
Caught by: parameters with 2 or more dims get weight_decay=wd, all others 0."""

from torch import nn


def param_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Parameter groups for torch.optim.AdamW: decay the weights that have 2 or more dims,
    and nothing else."""
    decay, no_decay = [], []
    for param in model.parameters():
        if param.ndim >= 2:
            decay.append(param)
        else:
            no_decay.append(param)
    return [{"params": decay}, {"params": no_decay, "weight_decay": 0.0}]
