"""WRONG: precomputes the correction table once, in __init__, as a plain tensor
attribute: .to() moves parameters and buffers only, so the table stays on the CPU.
Caught by: it runs after .to('meta'), and its output stays on 'meta'."""

import torch
from torch import nn


class Smoother(nn.Module):
    def __init__(self, n_in: int, n_out: int, decay: float = 0.9) -> None:
        super().__init__()
        self.proj = nn.Linear(n_in, n_out)
        self.decay = decay
        self.table = 1 - decay ** torch.arange(1, 1025)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.proj(x)
        batch, frames, n_out = z.shape
        state = z.new_zeros(batch, n_out)
        averages = []
        for t in range(frames):
            state = self.decay * state + (1 - self.decay) * z[:, t]
            averages.append(state)
        correction = self.table[:frames]
        return torch.stack(averages, dim=1) / correction[:, None]
