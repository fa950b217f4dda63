"""Self-distillation loss: the student learns to match the teacher's softened predictions."""

import torch


def distill_loss(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    tau: float = 2.0,
    clip: float = 5.0,
) -> torch.Tensor:
    """Cross-entropy of softmax(teacher / tau) against clamp(student / tau, -clip, clip).

    Both logit tensors have shape (N, C). The teacher's softmax is a fixed target: no gradient
    may reach the teacher. Returns the mean over the N rows.
    """
    # detach(): a stop-gradient autograd knows about (it shares the version counter)
    target = (teacher_logits.detach() / tau).softmax(dim=-1)
    # clamp (no underscore) returns a new tensor and records the clamp, so clipped entries
    # get a zero gradient, as they should
    s = (student_logits / tau).clamp(-clip, clip)
    return -(target * s.log_softmax(dim=-1)).sum(dim=-1).mean()


if __name__ == "__main__":
    student = torch.tensor([[30.0, 1.0, -30.0]], requires_grad=True)
    teacher = torch.tensor([[0.5, 2.0, 0.0]])
    distill_loss(student, teacher).backward()
    print("student.grad:", student.grad)  # 0 where student / tau was clipped
