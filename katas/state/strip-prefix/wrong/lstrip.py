"""WRONG: str.lstrip("module.") strips any leading characters among m, o, d, u, l, e and
the dot, not the string: `module.encoder.weight` becomes `ncoder.weight`.
Caught by: a DDP checkpoint (keys start with module.) loads, and the model reproduces its
source."""

import torch
from torch import nn


def load_weights(model: nn.Module, ckpt: dict[str, torch.Tensor]) -> None:
    state = {key.lstrip("module.").lstrip("_orig_mod."): value for key, value in ckpt.items()}
    model.load_state_dict(state)
