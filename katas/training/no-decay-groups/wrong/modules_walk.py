"""WRONG: walks model.modules() and each module's own parameters: the tied weight is found
under both embed and head, so it is listed twice in the decay group. AdamW only warns, then
decays it twice per step.
Caught by: every parameter is in exactly one group, the tied weight once."""

from torch import nn


def param_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Parameter groups for torch.optim.AdamW: decay the weights that have 2 or more dims,
    and nothing else."""
    decay, no_decay = [], []
    for module in model.modules():
        for param in module.parameters(recurse=False):
            if param.ndim >= 2:
                decay.append(param)
            else:
                no_decay.append(param)
    return [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
