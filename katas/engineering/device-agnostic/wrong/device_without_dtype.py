"""WRONG: new tensors get the data's device but not its dtype: they are float32,
so a bfloat16 model returns float32 and a float64 one loses precision.
Caught by: after .to(torch.bfloat16), it computes and returns bfloat16."""

import torch
from torch import nn


class Smoother(nn.Module):
    def __init__(self, n_in: int, n_out: int, decay: float = 0.9) -> None:
        super().__init__()
        self.proj = nn.Linear(n_in, n_out)
        self.decay = decay

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.proj(x)
        batch, frames, n_out = z.shape
        state = torch.zeros(batch, n_out, device=z.device)
        averages = []
        for t in range(frames):
            state = self.decay * state + (1 - self.decay) * z[:, t]
            averages.append(state)
        correction = 1 - self.decay ** torch.arange(1, frames + 1, device=z.device)
        return torch.stack(averages, dim=1) / correction[:, None]
