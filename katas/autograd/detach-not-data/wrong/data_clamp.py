"""WRONG: the teacher is detached properly, but the clamp still goes through .data. The clamp
is never recorded, so clipped logits still receive gradient (and no op had saved s yet, so
nothing can complain): silently wrong gradients.
Caught by: clipped student logits get zero gradient, the others the true gradient (also:
gradcheck, no .data)."""

import torch


def distill_loss(student_logits, teacher_logits, tau=2.0, clip=5.0):
    target = (teacher_logits.detach() / tau).softmax(dim=-1)
    s = student_logits / tau
    s.data.clamp_(-clip, clip)
    return -(target * s.log_softmax(dim=-1)).sum(dim=-1).mean()
