"""Self-distillation loss built from F.cross_entropy, with the target made under no_grad."""

import torch
import torch.nn.functional as F


def distill_loss(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    tau: float = 2.0,
    clip: float = 5.0,
) -> torch.Tensor:
    """Cross-entropy of softmax(teacher / tau) against clip(student / tau, -clip, clip)."""
    with torch.no_grad():  # the target is a constant: nothing of it is recorded
        target = F.softmax(teacher_logits / tau, dim=-1)
    z = torch.clip(student_logits / tau, min=-clip, max=clip)
    # cross_entropy takes class probabilities as a target and averages over the rows
    return F.cross_entropy(z, target)
