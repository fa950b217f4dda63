"""WRONG: the clamp is fixed, but the target still uses teacher_logits.data. The values and
gradients are right today, but .data is an alias autograd cannot see: the next in-place edit
of the target would corrupt gradients silently instead of raising.
Caught by: the file does not use .data."""

import torch


def distill_loss(student_logits, teacher_logits, tau=2.0, clip=5.0):
    target = (teacher_logits.data / tau).softmax(dim=-1)
    s = (student_logits / tau).clamp(-clip, clip)
    return -(target * s.log_softmax(dim=-1)).sum(dim=-1).mean()
