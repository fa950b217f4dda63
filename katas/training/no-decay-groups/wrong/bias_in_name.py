"""WRONG: excludes parameters whose name contains 'bias' (with weight_decay 0.0, as it should):
LayerNorm and RMSNorm gains (ln_1.weight, ln_f.weight) and scalars are still decayed.
Caught by: parameters with 2 or more dims get weight_decay=wd, all others 0."""

from torch import nn


def param_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Parameter groups for torch.optim.AdamW: decay the weights that have 2 or more dims,
    and nothing else."""
    decay, no_decay = [], []
    for name, param in model.named_parameters():
        if "bias" in name:
            no_decay.append(param)
        else:
            decay.append(param)
    return [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
