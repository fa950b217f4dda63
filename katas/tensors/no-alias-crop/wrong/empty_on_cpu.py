"""WRONG: allocates the patch with torch.empty(..., dtype=img.dtype) and copies the window into
it: its own memory and the right values, but torch.empty allocates on the CPU whatever
device img is on, so an image cached on a GPU gets its crops back on the CPU.
Caught by: the crop is on img's device."""

import torch


def crop(img: torch.Tensor, top: int, left: int, height: int, width: int) -> torch.Tensor:
    patch = torch.empty((img.shape[0], height, width), dtype=img.dtype)
    patch.copy_(img[:, top : top + height, left : left + width])
    return patch
