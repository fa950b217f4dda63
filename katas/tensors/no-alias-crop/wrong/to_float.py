"""WRONG: .float() to prepare for normalisation. It copies a uint8 image (and changes its
dtype, which the caller did not ask for), but a float32 image comes back as the same view.
Caught by: crop(img, top, left, height, width) is img[:, top:top+height, left:left+width]
(dtype), and writing into a crop ... leaves img unchanged (float32 images)."""

import torch


def crop(img: torch.Tensor, top: int, left: int, height: int, width: int) -> torch.Tensor:
    return img[:, top : top + height, left : left + width].float()
