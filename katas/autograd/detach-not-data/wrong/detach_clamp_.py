"""WRONG: .data replaced by .detach() word for word. s.detach().clamp_() writes into s's memory
just as invisibly: the clamp is not recorded, and since nothing saved s before the write, the
shared version counter has nothing to catch. Clipped logits still get gradient.
Caught by: clipped student logits get zero gradient, the others the true gradient (also:
gradcheck)."""

import torch


def distill_loss(student_logits, teacher_logits, tau=2.0, clip=5.0):
    target = (teacher_logits.detach() / tau).softmax(dim=-1)
    s = student_logits / tau
    s.detach().clamp_(-clip, clip)
    return -(target * s.log_softmax(dim=-1)).sum(dim=-1).mean()
