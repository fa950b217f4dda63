"""Intersection over union (IoU) between two sets of boxes, for matching detections to
ground truth."""

import torch


def box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """IoU of every box in ``a`` (N, 4) with every box in ``b`` (M, 4), as an (N, M) tensor.

    Boxes are (x1, y1, x2, y2) with x1 < x2 and y1 < y2.
    """
    # a[:, None] is (N, 1, 2) and b[None] is (1, M, 2): together they broadcast to (N, M, 2),
    # one row per box of a, one column per box of b
    top_left = torch.maximum(a[:, None, :2], b[None, :, :2])
    bottom_right = torch.minimum(a[:, None, 2:], b[None, :, 2:])
    # boxes apart on an axis give a negative side: clamp it, or two negative sides would
    # multiply into a positive area
    sides = (bottom_right - top_left).clamp(min=0)
    inter = sides[..., 0] * sides[..., 1]
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / (area_a[:, None] + area_b[None, :] - inter)


if __name__ == "__main__":
    import time

    torch.manual_seed(0)
    corners = torch.rand(300, 2) * 100
    anchors = torch.cat([corners, corners + torch.rand(300, 2) * 20 + 1], dim=1)
    targets = anchors[:40] + torch.randn(40, 4)
    start = time.perf_counter()
    iou = box_iou(anchors, targets)
    print(f"IoU of {tuple(iou.shape)} pairs in {time.perf_counter() - start:.2f} s")
