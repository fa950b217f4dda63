"""Save and resume a training run: weights, optimizer state, config, best score, step."""

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from torch import nn


@dataclass
class TrainConfig:
    lr: float
    batch_size: int
    warmup_steps: int
    schedule: str


def save_checkpoint(
    path: str, model: nn.Module, optimizer: Any, config: TrainConfig, metric: Any, step: int
) -> None:
    """Write everything needed to resume to ``path``."""
    # Only tensors and plain Python data: what torch.load's default (weights_only=True)
    # accepts, in any program, without knowing our classes.
    checkpoint = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "config": asdict(config),  # a dict of numbers and strings, not a pickled class
        "metric": float(metric),  # a Python float, not a NumPy scalar
        "step": int(step),
    }
    torch.save(checkpoint, path)


def load_checkpoint(path: str, model: nn.Module, optimizer: Any) -> tuple[TrainConfig, float, int]:
    """Restore ``model`` and ``optimizer`` from ``path``; return (config, metric, step)."""
    # weights_only=True (the default): a file that names any other global is refused
    # before anything in it runs.
    checkpoint = torch.load(path, weights_only=True)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    config = TrainConfig(**checkpoint["config"])
    return config, checkpoint["metric"], checkpoint["step"]


if __name__ == "__main__":
    model = nn.Linear(3, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    config = TrainConfig(lr=0.1, batch_size=32, warmup_steps=100, schedule="cosine")
    save_checkpoint("run.pt", model, optimizer, config, np.mean([0.71, 0.74]), step=1200)
    try:
        torch.load("run.pt")
        print("plain torch.load: fine")
    except Exception as error:
        print("plain torch.load:", str(error).splitlines()[-3].strip())
    config, metric, step = load_checkpoint("run.pt", nn.Linear(3, 2), optimizer)
    print(config, type(metric).__name__, metric, step)
