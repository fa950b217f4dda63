"""WRONG: computes the boxes' widths and heights with an in-place sub_ on a slice of the
inputs, to save a copy: the IoU is right, but a slice is a view, so the caller's x2, y2
columns are overwritten with widths and heights.
Caught by: box_iou(a, b)[i, j] is the IoU of a[i] and b[j], and a and b stay unchanged."""

import torch


def box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    top_left = torch.maximum(a[:, None, :2], b[None, :, :2])
    bottom_right = torch.minimum(a[:, None, 2:], b[None, :, 2:])
    sides = (bottom_right - top_left).clamp(min=0)
    inter = sides[..., 0] * sides[..., 1]
    size_a = a[:, 2:].sub_(a[:, :2])  # a view of a: this writes into the caller's boxes
    size_b = b[:, 2:] - b[:, :2]
    area_a = size_a[:, 0] * size_a[:, 1]
    area_b = size_b[:, 0] * size_b[:, 1]
    return inter / (area_a[:, None] + area_b[None, :] - inter)
