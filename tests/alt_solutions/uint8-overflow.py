"""Crossfading two frames: the per-pixel mean of two 8-bit images, without widening."""

import torch


def blend(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The mean of two uint8 images, rounded down, as a uint8 image."""
    # Halve each value (a shift drops the low bit), then add back the 1 that two dropped low
    # bits make together. The largest sum is 127 + 127 + 1 = 255: nothing can wrap.
    return (a >> 1) + (b >> 1) + (a & b & 1)
