"""WRONG: turns the config into a dict but saves the metric as the NumPy scalar it was
given: torch.load's default refuses the file (numpy._core.multiarray.scalar).
Caught by: the saved file loads with a plain torch.load(path), weights_only=True."""

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


def save_checkpoint(
    path: str, model: nn.Module, optimizer: Any, config: TrainConfig, metric: Any, step: int
) -> None:
    checkpoint = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "config": asdict(config),
        "metric": metric,
        "step": step,
    }
    torch.save(checkpoint, path)


def load_checkpoint(path: str, model: nn.Module, optimizer: Any) -> tuple[TrainConfig, float, int]:
    checkpoint = torch.load(path)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    return TrainConfig(**checkpoint["config"]), float(checkpoint["metric"]), checkpoint["step"]
