"""WRONG: all .data removed, including the stop-gradient: the target now carries gradient, so
the loss also pulls the teacher towards the student (in self-distillation, that collapses
both).
Caught by: no gradient reaches the teacher's logits."""

import torch


def distill_loss(student_logits, teacher_logits, tau=2.0, clip=5.0):
    target = (teacher_logits / tau).softmax(dim=-1)
    s = (student_logits / tau).clamp(-clip, clip)
    return -(target * s.log_softmax(dim=-1)).sum(dim=-1).mean()
