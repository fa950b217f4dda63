"""WRONG: saves and loads plain data safely, but returns the config as the saved dict
instead of rebuilding the TrainConfig (config.lr then raises AttributeError).
Caught by: load_checkpoint gives back the config as a TrainConfig equal to the saved one."""

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
    checkpoint = torch.load(path)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    return checkpoint["config"], checkpoint["metric"], checkpoint["step"]
