"""WRONG: a[None] and b[:, None] swap the roles of the two sets: the result is (M, N), b's
boxes along the rows, the transpose of what was asked for.
Caught by: box_iou(a, b)[i, j] is the IoU of a[i] and b[j], and a and b stay unchanged."""

import torch


def box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    top_left = torch.maximum(a[None, :, :2], b[:, None, :2])
    bottom_right = torch.minimum(a[None, :, 2:], b[:, None, 2:])
    sides = (bottom_right - top_left).clamp(min=0)
    inter = sides[..., 0] * sides[..., 1]
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / (area_a[None, :] + area_b[:, None] - inter)
