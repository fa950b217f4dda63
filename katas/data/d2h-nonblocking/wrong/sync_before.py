"""WRONG: synchronizes before the copy instead of after it: the wait covers the work that made
t, but the copy is queued afterwards and still running when fetch returns.
Caught by: the whole copy is done when fetch returns, the last values of 256 MB included."""

import torch


def fetch(t: torch.Tensor) -> torch.Tensor:
    host = torch.empty(t.shape, dtype=t.dtype, pin_memory=True)
    torch.cuda.synchronize()
    host.copy_(t, non_blocking=True)
    return host
