"""Hidden checks for weights-only: ``save_checkpoint`` writes only plain data, so a plain
``torch.load(path)`` reads it, and ``load_checkpoint`` loads with ``weights_only=True``,
rebuilds the config and refuses crafted files without running them."""

import io
import pickle
import re
from typing import Any

import numpy as np
import torch
from torch import nn

from trainer.checks import Remote, type_name
from trainer.errors import LearnerRaised

PLAIN = (
    "Save plain data only: dataclasses.asdict(config) instead of the TrainConfig, "
    "float(metric) instead of the NumPy scalar, state_dict()s instead of objects. Registering "
    "safe globals (add_safe_globals, safe_globals) helps only the program that registers them"
)
UNSAFE = (
    "Load with torch.load(path) and its default weights_only=True, which refuses any global "
    "it does not know before anything in the file runs. weights_only=False, and pickle.load, "
    "call whatever the file names"
)
# (lr, batch_size, warmup_steps, schedule), metric (value, NumPy type), step
RUNS: list[tuple[tuple[float, int, int, str], tuple[float, str], int]] = [
    ((3e-4, 32, 500, "cosine"), (0.7318, "float64"), 1200),
    ((0.125, 1, 0, "linear"), (2.41, "float32"), 0),
]


class _Model(nn.Module):
    """The model being trained (defined in the learner process)."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = nn.Linear(4, 6)
        self.out = nn.Linear(6, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(torch.tanh(self.hidden(x)))


class _Optimizer:
    """A stand-in for torch.optim.Adam, with its state_dict format: per-parameter step,
    exp_avg and exp_avg_sq, and the param groups' hyperparameters (defined in the learner
    process; a real optimizer costs a second to build there)."""

    def __init__(self, params: Any, lr: float, seed: int) -> None:
        self.params = list(params)
        self.lr = lr
        self.state: dict[int, dict[str, torch.Tensor]] = {}
        if seed:  # a trained optimizer: state for every parameter
            generator = torch.Generator().manual_seed(seed)
            for index, p in enumerate(self.params):
                self.state[index] = {
                    "step": torch.tensor(float(seed % 97 + 3)),
                    "exp_avg": torch.randn(p.shape, generator=generator).to(p.device),
                    "exp_avg_sq": torch.rand(p.shape, generator=generator).to(p.device),
                }

    def state_dict(self) -> dict[str, Any]:
        return {
            "state": {i: {k: v.clone() for k, v in s.items()} for i, s in self.state.items()},
            "param_groups": [
                {
                    "lr": self.lr,
                    "betas": (0.9, 0.999),
                    "eps": 1e-8,
                    "params": list(range(len(self.params))),
                }
            ],
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        group = state_dict["param_groups"][0]
        if len(group["params"]) != len(self.params):
            raise ValueError("loaded state dict has a different number of parameters")
        self.lr = group["lr"]
        self.state = {
            int(i): {k: v.clone().to(self.params[int(i)].device) for k, v in s.items()}
            for i, s in state_dict["state"].items()
        }


def _objects_there(seed: int, trained: bool, device: torch.device) -> list[object]:
    """A model and its optimizer: trained (other weights, optimizer state) or fresh."""
    torch.manual_seed(seed)
    model = _Model().to(device)
    optimizer = _Optimizer(model.parameters(), lr=0.01 * seed, seed=seed if trained else 0)
    return [model, optimizer]


def _objects(remote: Remote, seed: int, trained: bool, device: torch.device) -> tuple[Any, Any]:
    remote.define(_Model)
    remote.define(_Optimizer)
    model, optimizer = remote.define(_objects_there)(seed, trained, device)
    return model, optimizer


def _snapshot(remote: Remote, model: Any, optimizer: Any) -> dict[str, Any]:
    """The model's state dict and the optimizer's, fetched."""
    snapshot: dict[str, Any] = remote.fetch(
        "{'model': {k: v.detach().clone() for k, v in model.state_dict().items()}, "
        "'optimizer': optimizer.state_dict()}",
        model=model,
        optimizer=optimizer,
    )
    return snapshot


def _path(remote: Remote, name: str) -> str:
    """A file in the learner process's own folder (the only place it may write)."""
    path: str = remote.eval(
        "__import__('os').path.join(__import__('os').getcwd(), name)", name=name
    )
    return path


def _first_line(exc: BaseException) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).strip().splitlines()
    return text[0][:300] if text else ""


def _save(
    learner: Any, remote: Remote, run: int, device: torch.device, name: str
) -> tuple[str, dict[str, Any], Any]:
    """save_checkpoint on a trained model and optimizer; the path, the state that was saved,
    and the config object handed in."""
    (lr, batch_size, warmup, schedule), (metric, kind), step = RUNS[run]
    model, optimizer = _objects(remote, 10 + run, True, device)
    saved = _snapshot(remote, model, optimizer)
    config = remote.eval(
        "learner.TrainConfig(lr=lr, batch_size=b, warmup_steps=w, schedule=s)",
        lr=lr,
        b=batch_size,
        w=warmup,
        s=schedule,
    )
    value = remote.eval(f"__import__('numpy').{kind}(v)", v=metric)
    path = _path(remote, name)
    try:
        learner.save_checkpoint(path, model, optimizer, config, value, step)
    except LearnerRaised as exc:
        raise AssertionError(
            f"save_checkpoint(path, model, optimizer, config, metric, step) raised "
            f"{exc.short_type}: {_first_line(exc)}"
        ) from None
    return path, saved, config


def _load(learner: Any, remote: Remote, path: str, device: torch.device) -> tuple[Any, Any, Any]:
    """load_checkpoint into a fresh model and optimizer; what it returned, and those two."""
    model, optimizer = _objects(remote, 99, False, device)
    try:
        returned = learner.load_checkpoint(path, model, optimizer)
    except LearnerRaised as exc:
        raise AssertionError(
            "load_checkpoint(path, model, optimizer) raised "
            f"{exc.short_type} on the file save_checkpoint wrote: {_first_line(exc)}"
        ) from None
    assert isinstance(returned, tuple) and len(returned) == 3, (
        f"load_checkpoint(path, model, optimizer) returned a {type_name(returned)}, "
        "expected the tuple (config, metric, step)"
    )
    return returned, model, optimizer


def _refused(exc: Exception) -> str:
    """What a weights_only load refused, in words."""
    found = re.search(r"Unsupported global: GLOBAL (\S+)", str(exc))
    if found is None:
        return _first_line(exc)
    name = found.group(1)
    if name.startswith("numpy"):
        return f"it holds a NumPy object ({name})"
    return f"it holds a pickled {name.rsplit('.', 1)[-1]} object ({name})"


def test_plain_torch_load(learner: Any, remote: Remote, device: torch.device) -> None:
    """the saved file loads with a plain torch.load(path), weights_only=True"""
    for run in range(len(RUNS)):
        path, _, _ = _save(learner, remote, run, device, f"plain_{run}.pt")
        exists = remote.eval("__import__('os').path.isfile(p)", p=path)
        assert exists is True, "save_checkpoint(path, ...) wrote no file at path"
        data = remote.fetch("__import__('pathlib').Path(p).read_bytes()", p=path)
        try:  # here, in a process that registered no safe globals
            torch.load(io.BytesIO(data), weights_only=True, map_location="cpu")
        except Exception as exc:
            if data[:4] != b"PK\x03\x04":  # not torch.save's zip archive
                raise AssertionError(
                    "a plain torch.load(path) refused the file save_checkpoint wrote, which is "
                    "not in torch.save's format (a zip archive). Write it with "
                    "torch.save(checkpoint, path), holding plain data only"
                ) from None
            raise AssertionError(
                f"a plain torch.load(path) (weights_only=True, its default) refused the "
                f"checkpoint save_checkpoint wrote: {_refused(exc)}. Every program that "
                f"reads it (an evaluation job, a colleague's notebook) gets this error. {PLAIN}"
            ) from None


def test_config(learner: Any, remote: Remote, device: torch.device) -> None:
    """load_checkpoint gives back the config as a TrainConfig equal to the saved one"""
    for run in range(len(RUNS)):
        path, _, saved_config = _save(learner, remote, run, device, f"config_{run}.pt")
        (config, _, _), _, _ = _load(learner, remote, path, device)
        assert remote.isinstance(config, learner.TrainConfig), (
            f"load_checkpoint returned a {type_name(config)} as config, expected a "
            "TrainConfig: rebuild it from the saved fields, TrainConfig(**fields)"
        )
        fields = "__import__('dataclasses').asdict(c)"
        got = remote.fetch(fields, c=config)
        expected = remote.fetch(fields, c=saved_config)
        assert got == expected, (
            f"load_checkpoint returned the config {got}, expected the saved {expected}"
        )


def test_metric_and_step(learner: Any, remote: Remote, device: torch.device) -> None:
    """the metric comes back as a Python float of the saved value, the step as the same int"""
    for run, (_, (metric, kind), step) in enumerate(RUNS):
        path, _, _ = _save(learner, remote, run, device, f"metric_{run}.pt")
        (_, got_metric, got_step), _, _ = _load(learner, remote, path, device)
        expected = float(getattr(np, kind)(metric))
        metric_type = remote.eval("type(m).__module__ + '.' + type(m).__qualname__", m=got_metric)
        assert metric_type == "builtins.float", (
            f"load_checkpoint returned the metric (saved as np.{kind}({metric})) as a "
            f"{metric_type}, expected a Python float: a NumPy scalar in the file is what "
            f"torch.load's default refuses. Save float(metric)"
        )
        value = remote.eval("m", m=got_metric)
        assert value == expected, (
            f"load_checkpoint returned the metric {value!r}, expected {expected!r} "
            f"(float of the saved np.{kind}({metric}))"
        )
        step_type = remote.eval("type(s).__module__ + '.' + type(s).__qualname__", s=got_step)
        got = remote.eval("s", s=got_step)
        assert step_type == "builtins.int" and got == step, (
            f"load_checkpoint returned the step {got!r} ({step_type}), expected the int {step}"
        )


def test_model_and_optimizer(learner: Any, remote: Remote, device: torch.device) -> None:
    """the model's parameters and the optimizer's state come back bitwise"""
    for run in range(len(RUNS)):
        path, saved, _ = _save(learner, remote, run, device, f"state_{run}.pt")
        _, model, optimizer = _load(learner, remote, path, device)
        got = _snapshot(remote, model, optimizer)
        for key, value in saved["model"].items():
            assert torch.equal(got["model"][key], value), (
                f"after load_checkpoint, the model's {key} does not hold the saved values: "
                "load the saved model.state_dict() with model.load_state_dict"
            )
        expected, loaded = saved["optimizer"], got["optimizer"]
        assert loaded["param_groups"] == expected["param_groups"], (
            f"after load_checkpoint, the optimizer's param_groups are {loaded['param_groups']}, "
            f"expected the saved {expected['param_groups']}: load the saved "
            "optimizer.state_dict() with optimizer.load_state_dict"
        )
        for index, state in expected["state"].items():
            for key, value in state.items():
                other = loaded["state"].get(index, {}).get(key)
                assert isinstance(other, torch.Tensor) and torch.equal(other, value), (
                    f"after load_checkpoint, the optimizer's state[{index}][{key!r}] is not "
                    "the saved one: load the saved optimizer.state_dict() with "
                    "optimizer.load_state_dict"
                )


class _Payload:
    """Unpickled, it calls open(marker, "w"): it creates an empty file, and nothing else.
    Pickled here, in the judge, where it never runs."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, tuple[str, str]]:
        return (open, (self.marker, "w"))


def _crafted(marker: str, torch_format: bool) -> bytes:
    """A checkpoint whose config is the payload: in torch.save's zip format, or as a plain
    pickle (which torch.load reads as its legacy format)."""
    torch.manual_seed(0)
    checkpoint = {
        "model": {k: v.detach().clone() for k, v in _Model().state_dict().items()},
        "optimizer": {"state": {}, "param_groups": [{"lr": 0.1, "params": [0, 1, 2, 3]}]},
        "config": _Payload(marker),
        "metric": 0.5,
        "step": 7,
    }
    if not torch_format:
        return pickle.dumps(checkpoint, protocol=2)
    buffer = io.BytesIO()
    torch.save(checkpoint, buffer)
    return buffer.getvalue()


def test_crafted_file(learner: Any, remote: Remote, device: torch.device) -> None:
    """load_checkpoint refuses a crafted file, and the code in it never runs"""
    for torch_format in (True, False):
        kind = "saved with torch.save" if torch_format else "written with pickle.dump"
        marker = _path(remote, f"PAYLOAD_RAN_{int(torch_format)}")
        path = _path(remote, f"crafted_{int(torch_format)}.pt")
        remote.eval(
            "__import__('pathlib').Path(p).write_bytes(data)",
            p=path,
            data=_crafted(marker, torch_format),
        )
        model, optimizer = _objects(remote, 98, False, device)
        try:
            learner.load_checkpoint(path, model, optimizer)
            raised = None
        except LearnerRaised as exc:
            raised = exc
        ran = remote.eval("__import__('os').path.exists(p)", p=marker)
        assert ran is False, (
            f"load_checkpoint ran code from a crafted checkpoint ({kind}): its config "
            f"unpickles as open({marker!r}, 'w'), and that file now exists. This payload only "
            "creates an empty file; a real one could delete your files or open a shell. " + UNSAFE
        )
        assert raised is not None, (
            f"load_checkpoint returned without an error on a crafted checkpoint ({kind}) "
            "whose config is not plain data: let torch.load's error reach the caller. " + UNSAFE
        )
