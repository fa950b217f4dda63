"""WRONG: saves plain data, which is right, but loads with weights_only=False: a crafted
checkpoint's pickle runs whatever it names.
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
    checkpoint = torch.load(path, weights_only=False)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    return TrainConfig(**checkpoint["config"]), checkpoint["metric"], checkpoint["step"]
