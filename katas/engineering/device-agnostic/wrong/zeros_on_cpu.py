"""WRONG: the initial state is torch.zeros(batch, n_out): a CPU tensor, whatever
device the model and input are on. Fine on a laptop; on a GPU (or 'meta') the first update
mixes devices and raises.
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
        state = torch.zeros(batch, n_out)
        averages = []
        for t in range(frames):
            state = self.decay * state + (1 - self.decay) * z[:, t]
            averages.append(state)
        correction = 1 - self.decay ** torch.arange(1, frames + 1, device=z.device, dtype=z.dtype)
        return torch.stack(averages, dim=1) / correction[:, None]
