"""WRONG: decides by module type, minGPT style: Linear weights decay, everything else does
not. Walking model.modules() finds the tied weight as head.weight (a Linear: decay) and as
embed.weight (an Embedding: no decay), so it lands in both groups and AdamW raises.
Caught by: every parameter is in exactly one group, the tied weight once."""

from torch import nn


def param_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Parameter groups for torch.optim.AdamW: decay the weights that have 2 or more dims,
    and nothing else."""
    decay, no_decay = [], []
    for module in model.modules():
        for name, param in module.named_parameters(recurse=False):
            if isinstance(module, nn.Linear) and name == "weight":
                decay.append(param)
            else:
                no_decay.append(param)
    return [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
