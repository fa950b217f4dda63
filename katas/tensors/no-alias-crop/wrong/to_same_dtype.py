"""WRONG: .to(dtype, device) returns the tensor itself when there is nothing to convert, so
the "copy" is the same view of the image.
Caught by: writing into a crop of whole rows / whole columns / the whole image leaves img
unchanged."""

import torch


def crop(img: torch.Tensor, top: int, left: int, height: int, width: int) -> torch.Tensor:
    patch = img[:, top : top + height, left : left + width]
    return patch.to(dtype=img.dtype, device=img.device)
