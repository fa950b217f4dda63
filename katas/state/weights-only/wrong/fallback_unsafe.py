"""WRONG: tries the safe load, and on its error falls back to weights_only=False "for old
checkpoints": exactly the files a safe load refuses are then run.
Caught by: load_checkpoint refuses a crafted file, and the code in it never runs."""

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
    torch.save(
        {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "config": asdict(config),
            "metric": float(metric),
            "step": step,
        },
        path,
    )


def load_checkpoint(path: str, model: nn.Module, optimizer: Any) -> tuple[TrainConfig, float, int]:
    try:
        checkpoint = torch.load(path)
    except Exception:
        checkpoint = torch.load(path, weights_only=False)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    config = checkpoint["config"]
    if isinstance(config, dict):
        config = TrainConfig(**config)
    return config, float(checkpoint["metric"]), checkpoint["step"]
