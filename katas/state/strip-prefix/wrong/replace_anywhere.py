"""WRONG: removes `module.` with str.replace, wherever it occurs: `submodule.weight` becomes
`subweight`, so strict loading fails for every kind of checkpoint.
Caught by: a DDP checkpoint (keys start with module.) loads, and the model reproduces its
source (also: a plain checkpoint loads)."""

import torch
from torch import nn


def load_weights(model: nn.Module, ckpt: dict[str, torch.Tensor]) -> None:
    state = {
        key.replace("module.", "").replace("_orig_mod.", ""): value
        for key, value in ckpt.items()
    }
    model.load_state_dict(state)
