"""WRONG: handles the DDP prefix and forgets torch.compile's `_orig_mod.`.
Caught by: a torch.compile checkpoint (keys start with _orig_mod.) loads and reproduces its
source."""

import torch
from torch import nn


def load_weights(model: nn.Module, ckpt: dict[str, torch.Tensor]) -> None:
    model.load_state_dict({key.removeprefix("module."): value for key, value in ckpt.items()})
