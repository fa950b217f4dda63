"""WRONG: every tensor follows the data, but forward first moves the input to the GPU whenever
one exists ("compute on the GPU when there is one"): where the model runs is no longer the
caller's choice, and a model kept on the CPU of a machine with a GPU fails (its weights on the
CPU, its input on the GPU).
Caught by: on a machine with a GPU, a model kept on the CPU stays there (no .cuda())."""

import torch
from torch import nn


class Smoother(nn.Module):
    def __init__(self, n_in: int, n_out: int, decay: float = 0.9) -> None:
        super().__init__()
        self.proj = nn.Linear(n_in, n_out)
        self.decay = decay

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if torch.cuda.is_available():
            x = x.cuda()
        z = self.proj(x)
        batch, frames, n_out = z.shape
        state = z.new_zeros(batch, n_out)
        averages = []
        for t in range(frames):
            state = self.decay * state + (1 - self.decay) * z[:, t]
            averages.append(state)
        correction = 1 - self.decay ** torch.arange(1, frames + 1, device=z.device, dtype=z.dtype)
        return torch.stack(averages, dim=1) / correction[:, None]
