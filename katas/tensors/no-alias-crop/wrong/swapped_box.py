"""WRONG: a copy, but of the wrong window: left/width index the rows and top/height the
columns (x and y swapped, a classic with (x, y) boxes).
Caught by: crop(img, top, left, height, width) is img[:, top:top+height, left:left+width]."""

import torch


def crop(img: torch.Tensor, top: int, left: int, height: int, width: int) -> torch.Tensor:
    return img[:, left : left + width, top : top + height].clone()
