"""WRONG: cuts the first 7 characters (len("module.")) off every key: right for DDP
checkpoints only; plain keys lose their start, and `_orig_mod.` is 10 characters long.
Caught by: a plain checkpoint loads, and the model reproduces the one it was saved from."""

import torch
from torch import nn


def load_weights(model: nn.Module, ckpt: dict[str, torch.Tensor]) -> None:
    model.load_state_dict({key[7:]: value for key, value in ckpt.items()})
