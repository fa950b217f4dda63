"""Second solution for resume-exact: a flat checkpoint that also keeps Python's random state,
with the random state of the model's own device (the CPU generator always, plus the CUDA
generator of the GPU the model lives on)."""

import random

import torch
from torch import nn


def _device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


def save_checkpoint(model: nn.Module, optimizer: torch.optim.Optimizer) -> dict:
    state = {f"model/{k}": v for k, v in model.state_dict().items()}
    state["optimizer"] = optimizer.state_dict()
    state["rng/cpu"] = torch.random.get_rng_state()
    state["rng/python"] = random.getstate()
    device = _device(model)
    if device.type == "cuda":
        state["rng/cuda"] = torch.cuda.get_rng_state(device)
    return state


def load_checkpoint(checkpoint: dict, model: nn.Module, optimizer: torch.optim.Optimizer) -> None:
    weights = {k.removeprefix("model/"): v for k, v in checkpoint.items() if k.startswith("model/")}
    model.load_state_dict(weights, strict=True)
    optimizer.load_state_dict(checkpoint["optimizer"])
    torch.random.set_rng_state(checkpoint["rng/cpu"])
    random.setstate(checkpoint["rng/python"])
    if "rng/cuda" in checkpoint:
        torch.cuda.set_rng_state(checkpoint["rng/cuda"], _device(model))
