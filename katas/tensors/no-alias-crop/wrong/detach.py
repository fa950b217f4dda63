"""WRONG: .detach() only cuts the autograd history; the result shares the same memory.
Caught by: writing into a crop of whole rows / whole columns / the whole image leaves img
unchanged."""

import torch


def crop(img: torch.Tensor, top: int, left: int, height: int, width: int) -> torch.Tensor:
    return img[:, top : top + height, left : left + width].detach()
