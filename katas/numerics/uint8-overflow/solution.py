"""Crossfading two frames: the per-pixel mean of two 8-bit images."""

import torch


def blend(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The mean of two uint8 images, rounded down, as a uint8 image."""
    # uint8 + uint8 is computed in uint8 and wraps past 255: add in int16 (int16 + uint8 is
    # int16), then narrow the mean, which always fits in a byte, back to uint8.
    return ((a.to(torch.int16) + b) // 2).to(torch.uint8)


if __name__ == "__main__":
    white = torch.full((1, 2, 3), 255, dtype=torch.uint8)  # height, width, channels
    grey = torch.full((1, 2, 3), 100, dtype=torch.uint8)
    print("white with white:", blend(white, white)[0, 0].tolist(), "(expected 255)")
    print("white with grey: ", blend(white, grey)[0, 0].tolist(), "(expected 177)")
