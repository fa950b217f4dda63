"""WRONG: removes the hook in an except block that swallows the error: the model is restored,
but the experiment's exception never reaches the caller.
Caught by: an error inside the with block still reaches the caller."""

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn


@contextmanager
def ablate(module: nn.Module, channel: int) -> Iterator[None]:
    def hook(module, args, output):
        ablated = output.clone()
        ablated[:, channel] = 0
        return ablated

    handle = module.register_forward_hook(hook)
    try:
        yield
    except Exception:
        pass
    handle.remove()
