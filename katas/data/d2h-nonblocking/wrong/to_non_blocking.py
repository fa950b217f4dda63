"""WRONG: t.to("cpu", non_blocking=True), as if .to() waited: from a CUDA tensor it returns a
pinned tensor whose copy is only queued, and nothing waits for it.
Caught by: the values are in place when fetch returns, with t still queued behind a long kernel."""

import torch


def fetch(t: torch.Tensor) -> torch.Tensor:
    return t.to("cpu", non_blocking=True)
