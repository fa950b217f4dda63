"""WRONG: replaces torch.save and torch.load with pickle itself: the file is no checkpoint
torch.load reads, and pickle.load runs whatever a crafted file names.
Caught by: the saved file loads with a plain torch.load(path), weights_only=True (also:
load_checkpoint refuses a crafted file, and the code in it never runs)."""

import pickle
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
        "config": config,
        "metric": float(metric),
        "step": step,
    }
    with open(path, "wb") as file:
        pickle.dump(checkpoint, file)


def load_checkpoint(path: str, model: nn.Module, optimizer: Any) -> tuple[TrainConfig, float, int]:
    with open(path, "rb") as file:
        checkpoint = pickle.load(file)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    return checkpoint["config"], checkpoint["metric"], checkpoint["step"]
