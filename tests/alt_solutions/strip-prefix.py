"""A second solution for strip-prefix: torch's own consume_prefix_in_state_dict_if_present,
on a copy of the caller's dict."""

from collections import OrderedDict

import torch
from torch import nn
from torch.nn.modules.utils import consume_prefix_in_state_dict_if_present


def load_weights(model: nn.Module, ckpt: dict[str, torch.Tensor]) -> None:
    state = OrderedDict(ckpt)  # the helper renames in place: work on a copy
    for prefix in ("module.", "_orig_mod."):
        consume_prefix_in_state_dict_if_present(state, prefix)
    model.load_state_dict(state, strict=True)
