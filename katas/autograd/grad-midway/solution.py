"""Per-loss gradients of a shared weight, for logging; their mean, for the optimizer."""

from collections.abc import Sequence

import torch


def task_gradients(param: torch.Tensor, losses: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    """Return d loss / d param for each loss; leave their mean in param.grad."""
    grads = []
    for loss in losses:
        if param.grad is not None:
            param.grad.zero_()  # start each loss from a clean gradient
        loss.backward(retain_graph=True)
        # param.grad is a buffer that the next zero_() and backward() overwrite: snapshot it
        grads.append(param.grad.clone())
    param.grad = torch.stack(grads).mean(dim=0)
    return grads


if __name__ == "__main__":
    w = torch.randn(3, 4, requires_grad=True)
    h = torch.tanh(torch.randn(5, 3) @ w)
    grads = task_gradients(w, [h.pow(2).mean(), h.sum(), h.logsumexp(1).mean()])
    for i, g in enumerate(grads):
        print(f"loss {i}: |grad| = {g.norm():.4f}")
