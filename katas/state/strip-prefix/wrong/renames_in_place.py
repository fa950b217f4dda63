"""WRONG: renames the keys in the caller's dict itself: the model loads, but the dict the
script loads into a second model afterwards no longer has the keys it had.
Caught by: the caller's checkpoint dict keeps its keys and values."""

import torch
from torch import nn


def load_weights(model: nn.Module, ckpt: dict[str, torch.Tensor]) -> None:
    for key in list(ckpt):
        for prefix in ("module.", "_orig_mod."):
            if key.startswith(prefix):
                ckpt[key.removeprefix(prefix)] = ckpt.pop(key)
    model.load_state_dict(ckpt)
