"""Second solution for no-alias-crop: allocate the patch, then copy the window into it."""

import torch


def crop(img: torch.Tensor, top: int, left: int, height: int, width: int) -> torch.Tensor:
    window = img.narrow(1, top, height).narrow(2, left, width)  # a view, no copy yet
    patch = img.new_empty((img.shape[0], height, width))  # fresh memory, same dtype/device
    return patch.copy_(window)
