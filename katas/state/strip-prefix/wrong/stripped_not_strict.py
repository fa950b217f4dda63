"""WRONG: strips the prefixes correctly but keeps strict=False "to be safe": a checkpoint
that lacks a key, or has one the model does not know, loads without an error, and the model
silently keeps random weights where the key was missing.
Caught by: a checkpoint with a missing or an unknown key raises an error."""

import torch
from torch import nn


def load_weights(model: nn.Module, ckpt: dict[str, torch.Tensor]) -> None:
    state = {}
    for key, value in ckpt.items():
        for prefix in ("module.", "_orig_mod."):
            key = key.removeprefix(prefix)
        state[key] = value
    model.load_state_dict(state, strict=False)
