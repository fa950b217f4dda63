"""Second solution for autocast-cpu: torch.amp.autocast around the forward pass only, the loss as
log_softmax + nll_loss on float32 logits, and the step from torch.autograd.grad (no .grad)."""

import torch
import torch.nn.functional as F
from torch import nn


def _logits(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    with torch.amp.autocast(x.device.type, dtype=torch.bfloat16):
        out = model(x)
    return out.to(torch.float32)


def compute_loss(model: nn.Module, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return F.nll_loss(torch.log_softmax(_logits(model, x), dim=-1), labels)


def train_step(model: nn.Module, x: torch.Tensor, labels: torch.Tensor, lr: float) -> float:
    params = [p for p in model.parameters() if p.requires_grad]
    loss = compute_loss(model, x, labels)
    grads = torch.autograd.grad(loss, params)
    with torch.no_grad():
        for p, g in zip(params, grads, strict=True):
            p.add_(g, alpha=-lr)
    return float(loss.detach())
