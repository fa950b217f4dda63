"""WRONG: as shipped: the non-blocking copy is queued and fetch returns at once, so the caller
reads the pinned buffer before the GPU has filled it.
Caught by: the values are in place when fetch returns, with t still queued behind a long kernel."""

import torch


def fetch(t: torch.Tensor) -> torch.Tensor:
    host = torch.empty(t.shape, dtype=t.dtype, pin_memory=True)
    host.copy_(t, non_blocking=True)
    return host
