"""WRONG: keeps saving the dataclass and the NumPy scalar, and allows them on the loading
side with torch.serialization.safe_globals: this program loads its files, but a plain
torch.load(path) anywhere else still fails.
Caught by: the saved file loads with a plain torch.load(path), weights_only=True."""

import numpy as np
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn


@dataclass
class TrainConfig:
    lr: float
    batch_size: int
    warmup_steps: int
    schedule: str

TRUSTED = [
    TrainConfig,
    np._core.multiarray.scalar,
    np.dtype,
    type(np.dtype(np.float64)),
    type(np.dtype(np.float32)),
]


def save_checkpoint(
    path: str, model: nn.Module, optimizer: Any, config: TrainConfig, metric: Any, step: int
) -> None:
    checkpoint = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "config": config,
        "metric": metric,
        "step": step,
    }
    torch.save(checkpoint, path)


def load_checkpoint(path: str, model: nn.Module, optimizer: Any) -> tuple[TrainConfig, float, int]:
    with torch.serialization.safe_globals(TRUSTED):
        checkpoint = torch.load(path)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    return checkpoint["config"], float(checkpoint["metric"]), checkpoint["step"]
