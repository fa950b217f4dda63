"""Per-frame features, smoothed over time with a debiased exponential moving average."""

import torch
from torch import nn


class Smoother(nn.Module):
    """Projects each frame, then averages over time: a running mean that forgets the past."""

    def __init__(self, n_in: int, n_out: int, decay: float = 0.9) -> None:
        super().__init__()
        self.proj = nn.Linear(n_in, n_out)
        self.decay = decay

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, frames, n_in) -> (batch, frames, n_out)."""
        z = self.proj(x)
        batch, frames, n_out = z.shape
        # New tensors are made where the data is, in its dtype: never on a fixed device.
        state = z.new_zeros(batch, n_out)
        averages = []
        for t in range(frames):
            state = self.decay * state + (1 - self.decay) * z[:, t]
            averages.append(state)
        # The average starts from zero, so early frames come out too small: divide by the
        # weight the frames seen so far carry (Adam's bias correction).
        correction = 1 - self.decay ** torch.arange(1, frames + 1, device=z.device, dtype=z.dtype)
        return torch.stack(averages, dim=1) / correction[:, None]


if __name__ == "__main__":
    model = Smoother(4, 3)
    x = torch.randn(2, 5, 4)
    print("on the CPU:", tuple(model(x).shape))
    # No GPU here? The "meta" device shows the same bug: its tensors have a shape and a dtype
    # but no data, and mixing them with CPU tensors fails as a GPU would.
    print("on meta:", tuple(model.to("meta")(x.to("meta")).shape))
