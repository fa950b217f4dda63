"""WRONG: torch.as_tensor returns its argument unchanged when it already is a tensor of the
requested dtype and device: no copy.
Caught by: writing into a crop of whole rows / whole columns / the whole image leaves img
unchanged."""

import torch


def crop(img: torch.Tensor, top: int, left: int, height: int, width: int) -> torch.Tensor:
    return torch.as_tensor(img[:, top : top + height, left : left + width])
