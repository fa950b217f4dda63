"""Crossfading two frames: the per-pixel mean of two 8-bit images."""

import torch


def blend(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The mean of two uint8 images, rounded down, as a uint8 image."""
    # TODO: bright pixels come out dark.
    return (a + b) // 2


if __name__ == "__main__":
    white = torch.full((1, 2, 3), 255, dtype=torch.uint8)  # height, width, channels
    grey = torch.full((1, 2, 3), 100, dtype=torch.uint8)
    print("white with white:", blend(white, white)[0, 0].tolist(), "(expected 255)")
    print("white with grey: ", blend(white, grey)[0, 0].tolist(), "(expected 177)")
