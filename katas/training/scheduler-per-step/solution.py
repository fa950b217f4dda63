"""Linear warmup, then cosine decay to zero: the learning rate schedule of a training run."""

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.optim.lr_scheduler import LambdaLR


def train(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    epochs: list[list[tuple[torch.Tensor, torch.Tensor]]],
    warmup_steps: int,
) -> None:
    """One optimizer step per batch of every epoch; the lr warms up, then decays to zero."""
    total = sum(len(batches) for batches in epochs)

    def factor(step: int) -> float:
        # step counts the optimizer steps taken so far: the first step is step 0
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        progress = (step - warmup_steps) / (total - 1 - warmup_steps)
        return 0.5 * (1 + math.cos(math.pi * progress))

    scheduler = LambdaLR(optimizer, factor)
    for batches in epochs:
        for x, y in batches:
            optimizer.zero_grad()
            F.mse_loss(model(x), y).backward()
            optimizer.step()
            scheduler.step()  # after optimizer.step(), once per step: sets the next step's lr


if __name__ == "__main__":
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    lrs = []
    optimizer.register_step_pre_hook(
        lambda opt, args, kwargs: lrs.append(opt.param_groups[0]["lr"])
    )
    # a length-bucketed loader: each epoch has a different number of batches
    epochs = [[(torch.randn(4, 3), torch.randn(4, 1)) for _ in range(n)] for n in (4, 2, 3)]
    train(model, optimizer, epochs, warmup_steps=3)
    print("lr used by each step:", [round(lr, 4) for lr in lrs])
