"""WRONG: the in-place clamp_ moved under torch.no_grad(). The values change, but no_grad means
"do not record", so backward still treats the clamp as the identity.
Caught by: clipped student logits get zero gradient, the others the true gradient (also:
gradcheck)."""

import torch


def distill_loss(student_logits, teacher_logits, tau=2.0, clip=5.0):
    target = (teacher_logits.detach() / tau).softmax(dim=-1)
    s = student_logits / tau
    with torch.no_grad():
        s.clamp_(-clip, clip)
    return -(target * s.log_softmax(dim=-1)).sum(dim=-1).mean()
