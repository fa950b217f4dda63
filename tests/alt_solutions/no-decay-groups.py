"""no-decay-groups, written differently: walks model.modules() (as minGPT does) but skips a
Parameter already seen, so a tied weight is listed once; decides by p.dim()."""

from torch import nn


def param_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Parameter groups for torch.optim.AdamW: decay the weights that have 2 or more dims,
    and nothing else."""
    seen: set[int] = set()
    groups: dict[bool, list[nn.Parameter]] = {True: [], False: []}
    for module in model.modules():
        for param in module.parameters(recurse=False):
            if id(param) in seen:
                continue
            seen.add(id(param))
            groups[param.dim() >= 2].append(param)
    return [
        {"params": groups[True], "weight_decay": weight_decay},
        {"params": groups[False], "weight_decay": 0.0},
    ]
