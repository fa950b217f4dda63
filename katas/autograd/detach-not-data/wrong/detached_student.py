"""WRONG: the clamp is out of place, but on a detached student: the loss is cut off from the
student logits, which get no gradient at all (and the loss does not even require grad).
Caught by: clipped student logits get zero gradient, the others the true gradient (also:
gradcheck, no gradient reaches the teacher)."""

import torch


def distill_loss(student_logits, teacher_logits, tau=2.0, clip=5.0):
    target = (teacher_logits.detach() / tau).softmax(dim=-1)
    s = (student_logits.detach() / tau).clamp(-clip, clip)
    return -(target * s.log_softmax(dim=-1)).sum(dim=-1).mean()
