"""A second solution for weights-only: the config's fields saved one by one with
dataclasses.fields, the metric through NumPy's .item(), and weights_only=True spelled out."""

import dataclasses
from dataclasses import dataclass
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
    fields = {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}
    torch.save(
        {
            "weights": model.state_dict(),
            "optim": optimizer.state_dict(),
            "config_fields": fields,
            "best": metric.item(),  # a NumPy scalar's .item() is the Python number
            "step": step,
        },
        path,
    )


def load_checkpoint(path: str, model: nn.Module, optimizer: Any) -> tuple[TrainConfig, float, int]:
    saved = torch.load(path, map_location="cpu", weights_only=True)
    model.load_state_dict(saved["weights"])
    optimizer.load_state_dict(saved["optim"])
    return TrainConfig(**saved["config_fields"]), saved["best"], saved["step"]
