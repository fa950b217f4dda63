"""WRONG: .contiguous() copies only a non-contiguous view. A band of whole rows of a
one-channel image, or the whole image, is already contiguous, so it comes back as the same
view and in-place normalisation still writes into the cached image. Crops of whole columns
are copied, so the bug shows up for some crops only.
Caught by: writing into a crop of whole rows leaves img unchanged (and: of the whole image)."""

import torch


def crop(img: torch.Tensor, top: int, left: int, height: int, width: int) -> torch.Tensor:
    return img[:, top : top + height, left : left + width].contiguous()
