"""WRONG: clamps the intersection's area instead of its sides: for boxes apart on both axes,
the two negative sides have already multiplied into a positive area, which the clamp keeps.
Caught by: boxes that do not overlap have IoU 0."""

import torch


def box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    top_left = torch.maximum(a[:, None, :2], b[None, :, :2])
    bottom_right = torch.minimum(a[:, None, 2:], b[None, :, 2:])
    sides = bottom_right - top_left
    inter = (sides[..., 0] * sides[..., 1]).clamp(min=0)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / (area_a[:, None] + area_b[None, :] - inter)
