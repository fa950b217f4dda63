"""WRONG: splits by ndim correctly, but the no-decay group has no 'weight_decay' key: it
inherits AdamW's default, 0.01, so biases and gains are decayed anyway.
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
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay}]
