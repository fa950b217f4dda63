"""Second solution for d2h-nonblocking: t.to("cpu", non_blocking=True) (which pins its result),
then a wait on the current stream of t's device, after the copy is queued."""

import torch


def fetch(t):
    host = t.to("cpu", non_blocking=True)
    torch.cuda.current_stream(t.device).synchronize()
    return host
