"""Logging helper: bring a GPU tensor to the host without stalling the training loop."""

import torch


def fetch(t: torch.Tensor) -> torch.Tensor:
    """A CPU copy of the CUDA tensor ``t``, ready to read."""
    host = torch.empty(t.shape, dtype=t.dtype, pin_memory=True)
    host.copy_(t, non_blocking=True)  # queued behind the work that makes t; returns at once
    # An event recorded after the copy is reached when the copy is done: wait for it before
    # anyone reads host. (A wait before the copy would not cover the copy itself.)
    copied = torch.cuda.Event()
    copied.record(torch.cuda.current_stream(t.device))
    copied.synchronize()
    return host


if __name__ == "__main__":
    x = torch.randn(4, device="cuda")
    torch.cuda._sleep(100_000_000)  # the GPU is busy for a while (earlier training work)
    loss = (x * 2).sum()
    print("fetched:", fetch(loss).item(), " expected:", (x * 2).sum().item())
