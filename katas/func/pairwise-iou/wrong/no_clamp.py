"""WRONG: no clamp(min=0) on the intersection's width and height: boxes apart on one axis
get a negative IoU, and boxes apart on both axes multiply two negative sides into a positive
"intersection".
Caught by: boxes that do not overlap have IoU 0."""

import torch


def box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    top_left = torch.maximum(a[:, None, :2], b[None, :, :2])
    bottom_right = torch.minimum(a[:, None, 2:], b[None, :, 2:])
    sides = bottom_right - top_left
    inter = sides[..., 0] * sides[..., 1]
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / (area_a[:, None] + area_b[None, :] - inter)
