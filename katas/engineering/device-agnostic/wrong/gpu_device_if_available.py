"""WRONG: picks the device for new tensors as "cuda" whenever a GPU exists, else the data's:
right on a laptop and after .to("meta") there, but on a machine with a GPU a model kept on the
CPU gets its state made on the GPU.
Caught by: on a machine with a GPU, a model kept on the CPU stays there (no .cuda())."""

import torch
from torch import nn


class Smoother(nn.Module):
    def __init__(self, n_in: int, n_out: int, decay: float = 0.9) -> None:
        super().__init__()
        self.proj = nn.Linear(n_in, n_out)
        self.decay = decay

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.proj(x)
        device = torch.device("cuda") if torch.cuda.is_available() else z.device
        batch, frames, n_out = z.shape
        state = torch.zeros(batch, n_out, device=device, dtype=z.dtype)
        averages = []
        for t in range(frames):
            state = self.decay * state + (1 - self.decay) * z[:, t]
            averages.append(state)
        correction = 1 - self.decay ** torch.arange(1, frames + 1, device=device, dtype=z.dtype)
        return torch.stack(averages, dim=1) / correction[:, None]
