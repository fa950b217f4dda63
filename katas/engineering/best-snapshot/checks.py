"""Hidden checks for best-snapshot: ``fit(model, train_epoch, validate, epochs)`` ends with the
model holding a copy of the best epoch's parameters and buffers, restored into its own tensors."""

from collections.abc import Mapping
from typing import Any, cast

import torch
import torch.nn.functional as F
from torch import nn

from trainer.checks import Remote, type_name
from trainer.grading.judge.link import is_proxy

N_IN, N_HIDDEN, N_OUT = 5, 7, 3
# Scripted validation losses, one per epoch: the best epoch in the middle, first, alone, last.
SCRIPTS = [
    [2.5, 0.7, 1.3, 0.9, 1.1],
    [0.4, 0.6, 0.5],
    [1.9],
    [3.0, 2.2, 1.4],
]
LIVE = (
    "model.state_dict() returns references to the model's live tensors, not copies, and "
    "dict(...), .copy() and .detach() still share their memory, so the epochs after the best "
    "one changed your snapshot in place. Copy every tensor: copy.deepcopy(model.state_dict()) "
    "or {k: v.clone() for k, v in model.state_dict().items()}"
)


class _Net(nn.Sequential):
    """A small MLP with BatchNorm that notes whether it was restored from its own live tensors.

    Defined in the learner process (``remote.define``), beside the learner's ``fit``."""

    def __init__(self, n_in: int, n_hidden: int, n_out: int) -> None:
        super().__init__(
            nn.Linear(n_in, n_hidden),
            nn.BatchNorm1d(n_hidden),
            nn.ReLU(),
            nn.Linear(n_hidden, n_out),
        )
        self.loads = 0
        self.loaded_live = False

    def load_state_dict(self, state_dict: Any, *args: Any, **kwargs: Any) -> Any:
        own = self.state_dict()
        self.loads += 1
        self.loaded_live = self.loaded_live or any(
            isinstance(value, torch.Tensor)
            and name in own
            and value.untyped_storage().data_ptr() == own[name].untyped_storage().data_ptr()
            for name, value in state_dict.items()
        )
        return super().load_state_dict(state_dict, *args, **kwargs)


class _Run:
    """One call of fit, in the learner process: a model, a train_epoch that takes SGD steps in
    place, and a validate that returns scripted losses and records the state it was shown."""

    def __init__(
        self, losses: list[float], seed: int, sizes: tuple[int, int, int], device: torch.device
    ) -> None:
        torch.manual_seed(seed)
        self.model = _Net(*sizes).to(device).train()  # _Net: remote.define'd first
        self.losses = losses
        self.x = (torch.randn(12, sizes[0]) * 2 + 0.5).to(device)
        self.y = torch.randn(12, sizes[2]).to(device)
        self.calls: list[str] = []
        self.states: list[dict[str, torch.Tensor]] = []

    def train_epoch(self, model: nn.Module) -> None:
        self.calls.append("train_epoch")
        model.train()
        for xb, yb in zip(self.x.split(4), self.y.split(4), strict=True):
            model.zero_grad()
            F.mse_loss(model(xb), yb).backward()
            with torch.no_grad():  # one plain SGD step, p -= lr * p.grad
                for p in model.parameters():
                    if p.grad is not None:
                        p -= 0.3 * p.grad

    def validate(self, model: nn.Module) -> float:
        self.calls.append("validate")
        self.states.append({k: v.detach().clone() for k, v in model.state_dict().items()})
        epoch = len(self.states) - 1
        return self.losses[epoch] if epoch < len(self.losses) else 99.0

    def report(self) -> dict[str, Any]:
        """Everything the checks decide on, as plain data for one request."""
        return {
            "calls": list(self.calls),
            "states": self.states,
            "now": {k: v.detach().clone() for k, v in self.model.state_dict().items()},
            "params": [name for name, _ in self.model.named_parameters()],
            "buffers": [name for name, _ in self.model.named_buffers()],
            "loads": self.model.loads,
            "loaded_live": bool(self.model.loaded_live),
        }


class _Seen:
    """What the checks read back from one call of fit, decided here."""

    def __init__(self, losses: list[float], result: object, report: dict[str, Any]) -> None:
        self.losses = losses
        self.result = result
        self.calls: list[str] = report["calls"]
        self.states: list[dict[str, torch.Tensor]] = report["states"]
        self.now: dict[str, torch.Tensor] = report["now"]
        self.params: list[str] = report["params"]
        self.buffers: list[str] = report["buffers"]
        self.loads: int = report["loads"]
        self.loaded_live: bool = report["loaded_live"]

    @property
    def best(self) -> int:
        return min(range(len(self.losses)), key=self.losses.__getitem__)

    def call(self) -> str:
        return _call(self.losses)

    def scene(self) -> str:
        return f"{self.call()} with validation losses {self.losses}"


def _start(remote: Remote, losses: list[float], seed: int, device: torch.device) -> Any:
    """A _Run in the learner process."""
    remote.define(_Net)
    return remote.define(_Run)(losses, seed, (N_IN, N_HIDDEN, N_OUT), device)


def _report(remote: Remote, run: Any, what: str) -> dict[str, Any]:
    report = remote.eval("run.report()", run=run)
    try:
        return cast(dict[str, Any], remote.value(report))
    except TypeError as exc:
        raise AssertionError(f"{what}: the model's state could not be read: {exc}") from None


def _fit(
    learner: Any, remote: Remote, losses: list[float], seed: int, device: torch.device
) -> _Seen:
    run = _start(remote, losses, seed, device)
    result = learner.fit(run.model, run.train_epoch, run.validate, len(losses))
    seen = _Seen(losses, result, _report(remote, run, f"after {_call(losses)}"))
    expected = ["train_epoch", "validate"] * len(losses)
    assert seen.calls == expected, (
        f"{seen.call()} made the calls {seen.calls}, expected train_epoch then validate, once "
        f"each per epoch: {expected}"
    )
    return seen


def _call(losses: list[float]) -> str:
    return f"fit(model, train_epoch, validate, epochs={len(losses)})"


def _equal(a: Mapping[str, torch.Tensor], b: Mapping[str, torch.Tensor], names: list[str]) -> bool:
    return all(name in a and name in b and torch.equal(a[name], b[name]) for name in names)


def _epoch_held(seen: _Seen, names: list[str]) -> int | None:
    """Which epoch's values the model holds for ``names`` (1-based), or None."""
    for epoch in reversed(range(len(seen.states))):
        if _equal(seen.now, seen.states[epoch], names):
            return epoch + 1
    return None


def test_calls(learner: Any, remote: Remote, device: torch.device) -> None:
    """each epoch runs train_epoch, then validate, once each"""
    for seed, losses in enumerate(SCRIPTS):
        _fit(learner, remote, losses, seed, device)


def test_best_loss(learner: Any, remote: Remote, device: torch.device) -> None:
    """returns the lowest validation loss, as a float"""
    for seed, losses in enumerate(SCRIPTS, start=10):
        run = _fit(learner, remote, losses, seed, device)
        got = run.result
        assert isinstance(got, float), (
            f"{run.scene()} returned {type_name(got)}, expected a Python float"
        )
        if is_proxy(got):  # a float subclass (NumPy's float64): its value, as a float
            got = remote.eval("float(v)", v=got)
        assert got == min(losses), (
            f"{run.scene()} returned {got}, expected {min(losses)}, the lowest of them"
        )


def test_best_parameters(learner: Any, remote: Remote, device: torch.device) -> None:
    """afterwards the model holds the parameters of its best epoch"""
    for seed, losses in enumerate(SCRIPTS, start=20):
        run = _fit(learner, remote, losses, seed, device)
        names = run.params
        best = run.best + 1
        held = _epoch_held(run, names)
        if held == best:
            continue
        last = len(losses)
        where = (
            "parameters that match no epoch's"
            if held is None
            else f"the parameters of the last epoch (epoch {last})"
            if held == last
            else f"the parameters of epoch {held}"
        )
        why = ""
        if held == last and run.loaded_live:
            why = f"The state dict you restored from shares memory with the model: {LIVE}"
        elif held == last and run.loads == 0:
            why = (
                "fit never called model.load_state_dict: restore the snapshot into the model "
                "object you were given, at the end (model.load_state_dict(best_state); "
                "rebinding the name model inside fit changes nothing for the caller), and make "
                "sure the snapshot is a copy: model.state_dict() returns references to the live "
                "tensors"
            )
        elif held == last:
            why = f"Your snapshot followed the training after epoch {best}: {LIVE}"
        raise AssertionError(
            f"after {run.scene()}, the model holds {where}, expected those of "
            f"epoch {best}, the one with the lowest validation loss ({min(losses)}). {why}"
        )


def test_best_buffers(learner: Any, remote: Remote, device: torch.device) -> None:
    """BatchNorm's running statistics come back from the best epoch too"""
    for seed, losses in enumerate(SCRIPTS[:2], start=30):
        run = _fit(learner, remote, losses, seed, device)
        names = run.buffers
        best = run.best + 1
        held = _epoch_held(run, names)
        hint = (
            ": the parameters came back but the buffers did not. parameters() and "
            "named_parameters() leave out buffers such as BatchNorm's running_mean, "
            "running_var and num_batches_tracked; model.state_dict() holds both"
            if _epoch_held(run, run.params) == best
            else ". The parameters are off the same way: fix that check first"
        )
        assert held == best, (
            f"after {run.scene()}, the BatchNorm buffers ({', '.join(names)}) hold the values "
            + ("of no epoch" if held is None else f"of epoch {held}")
            + f", expected those of epoch {best}, the one with the lowest validation loss"
            + hint
        )


TENSORS = "[*run.model.named_parameters(), *run.model.named_buffers()]"


def test_same_objects(learner: Any, remote: Remote, device: torch.device) -> None:
    """the model keeps its own parameter and buffer objects"""
    for seed, losses in enumerate(SCRIPTS[:2], start=40):
        run = _start(remote, losses, seed, device)
        # proxies: the same learner-side object is the same proxy, while the judge holds it
        before = dict(iter(remote.eval(TENSORS, run=run)))
        learner.fit(run.model, run.train_epoch, run.validate, len(losses))
        after = dict(iter(remote.eval(TENSORS, run=run)))
        replaced = [name for name, t in before.items() if after.get(name) is not t]
        scene = f"{_call(losses)} with validation losses {losses}"
        assert not replaced, (
            f"after {scene}, these tensors of the model are new objects: "
            f"{', '.join(replaced)}. An optimizer built before fit still holds the old "
            "parameters, so it would go on training tensors the model no longer uses. Copy the "
            "snapshot's values into the existing tensors: model.load_state_dict(best_state), "
            "without assign=True"
        )
        trainable = remote.value(
            remote.eval(
                "[(n, type(p) is nn.Parameter and p.requires_grad is True)"
                " for n, p in run.model.named_parameters()]",
                run=run,
            )
        )
        not_trainable = [name for name, ok in trainable if ok is not True]
        assert not not_trainable, (
            f"after {scene}, these parameters no longer require grad: {', '.join(not_trainable)}"
        )
