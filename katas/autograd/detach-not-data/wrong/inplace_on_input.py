"""WRONG: divides and clamps the caller's student_logits in place. On logits that come out of
a model, autograd records both ops, so the gradient is right, but the caller's tensor is
overwritten (and on a leaf that requires grad it raises).
Caught by: distill_loss leaves the caller's logits unchanged."""

import torch


def distill_loss(student_logits, teacher_logits, tau=2.0, clip=5.0):
    target = (teacher_logits.detach() / tau).softmax(dim=-1)
    s = student_logits.div_(tau).clamp_(-clip, clip)
    return -(target * s.log_softmax(dim=-1)).sum(dim=-1).mean()
