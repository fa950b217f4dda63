"""WRONG: the state is made right, but the bias correction uses torch.arange(...)
without device=, a CPU tensor that cannot divide a GPU (or 'meta') tensor.
Caught by: it runs after .to('meta'), and its output stays on 'meta'."""

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
        state = z.new_zeros(batch, n_out)
        averages = []
        for t in range(frames):
            state = self.decay * state + (1 - self.decay) * z[:, t]
            averages.append(state)
        correction = 1 - self.decay ** torch.arange(1, frames + 1)
        return torch.stack(averages, dim=1) / correction[:, None]
