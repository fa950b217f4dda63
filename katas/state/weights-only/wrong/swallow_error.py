"""WRONG: catches the loading error and carries on with a fresh run: a crafted (or corrupt)
checkpoint is silently ignored instead of reported.
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
    except Exception as error:
        print("could not load the checkpoint, starting over:", error)
        return TrainConfig(lr=1e-3, batch_size=32, warmup_steps=0, schedule="cosine"), 0.0, 0
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    return TrainConfig(**checkpoint["config"]), checkpoint["metric"], checkpoint["step"]
