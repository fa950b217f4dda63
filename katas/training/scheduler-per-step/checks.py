"""Hidden checks for scheduler-per-step: ``train(model, optimizer, epochs, warmup_steps)`` steps
once per batch, and step i uses lr = base * (i + 1) / W during warmup, then a cosine that
reaches 0 at the last step, in every param group."""

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from trainer.checks import Remote, assert_close

N_IN, N_HIDDEN, N_OUT = 3, 5, 2
BASES = (0.02, 0.1)  # the body's lr and the head's: each group has its own
DEFAULT_LR = 0.5  # the optimizer's default, which no group uses
# (warmup_steps, the number of batches in each epoch): epochs of uneven length
CONFIGS = [(3, [5, 3, 4]), (1, [2, 1, 3])]
LR_TOL = {"rtol": 1e-9, "atol": 1e-12}


class _Net(nn.Module):
    """A body and a head; the optimizer gives each its own base lr."""

    def __init__(self, n_in: int, n_hidden: int, n_out: int) -> None:
        super().__init__()
        self.body = nn.Linear(n_in, n_hidden)
        self.head = nn.Linear(n_hidden, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.tanh(self.body(x)))


def _learner_side(
    net: type[nn.Module],
    sizes: tuple[int, int, int],
    state: dict[str, torch.Tensor],
    bases: tuple[float, float],
    default_lr: float,
    device: torch.device,
) -> tuple[nn.Module, torch.optim.Optimizer, list[list[float]]]:
    """The model, SGD with one param group per part, and the list a step pre-hook fills with
    every group's lr at each optimizer.step() (defined in the learner process)."""
    model = net(*sizes).double().to(device)
    model.load_state_dict(state)
    groups = [
        {"params": list(model.body.parameters()), "lr": bases[0]},
        {"params": list(model.head.parameters()), "lr": bases[1]},
    ]
    optimizer = torch.optim.SGD(groups, lr=default_lr)
    lrs: list[list[float]] = []

    def record(opt: torch.optim.Optimizer, args: object, kwargs: object) -> None:
        lrs.append([group["lr"] for group in opt.param_groups])

    optimizer.register_step_pre_hook(record)
    return model, optimizer, lrs


def _factor(i: float, warmup: int, total: int) -> float:
    """The schedule's factor for optimizer step i (from 0)."""
    if i < warmup:
        return (i + 1) / warmup
    return 0.5 * (1 + math.cos(math.pi * (i - warmup) / (total - 1 - warmup)))


class _Run:
    """One call of the learner's train on a config, and what the judge needs to judge it."""

    def __init__(self, learner: Any, remote: Remote, device: torch.device, config: int) -> None:
        self.warmup, self.sizes = CONFIGS[config]
        self.total = sum(self.sizes)
        torch.manual_seed(10 + config)
        self.model = _Net(N_IN, N_HIDDEN, N_OUT).double().to(device)
        self.epochs = [
            [
                (
                    (torch.randn(4, N_IN, dtype=torch.float64) * 1.5 + 0.2).to(device),
                    (torch.randn(4, N_OUT, dtype=torch.float64) - 0.3).to(device),
                )
                for _ in range(n)
            ]
            for n in self.sizes
        ]
        theirs, optimizer, lrs = remote.define(_learner_side)(
            remote.define(_Net),
            (N_IN, N_HIDDEN, N_OUT),
            dict(self.model.state_dict()),
            BASES,
            DEFAULT_LR,
            device,
        )
        learner.train(theirs, optimizer, self.epochs, self.warmup)
        got_lrs, self.weights = remote.fetch(
            "(lrs, [p.detach() for p in model.parameters()])", lrs=lrs, model=theirs
        )
        self.lrs: list[list[float]] = [[float(lr) for lr in step] for step in got_lrs]
        self.described = (
            f"warmup_steps={self.warmup}, epochs of {', '.join(map(str, self.sizes))} batches "
            f"(T={self.total}), param groups with lr {BASES[0]} and {BASES[1]}"
        )

    def expected(self, i: int, base: float) -> float:
        return base * _factor(i, self.warmup, self.total)

    def epoch_of(self, i: int) -> tuple[int, int]:
        """Which epoch step i falls in, and where that epoch starts."""
        start = 0
        for epoch, n in enumerate(self.sizes):
            if i < start + n:
                return epoch, start
            start += n
        return len(self.sizes), start

    def diagnosis(self) -> str:
        """The likely mistake, from the lrs the steps used."""
        w, t = self.warmup, self.total
        candidates: list[tuple[Callable[[int, float], float], str]] = [
            (
                lambda i, b: b * _factor(i + 1, w, t),
                "your schedule runs one step ahead: scheduler.step() is called before "
                "optimizer.step() (torch warns about it), so the first step already uses the "
                "second step's lr. Call scheduler.step() right after optimizer.step()",
            ),
            (
                lambda i, b: b * _factor(self.epoch_of(i)[0], w, t),
                "the lr changes only when an epoch ends: scheduler.step() runs once per "
                "epoch, but the schedule counts optimizer steps. Call it after every "
                "optimizer.step(), inside the batch loop",
            ),
            (
                lambda i, b: b * i / w if i < w else b * _factor(i, w, t),
                "the first step trains at lr 0: a warmup factor of step / warmup_steps is 0 "
                "at step 0. Step i must use (i + 1) / warmup_steps",
            ),
            (
                lambda i, b: b * _factor(i - self.epoch_of(i)[1], w, t),
                "the schedule starts over in every epoch: a scheduler built inside the epoch "
                "loop restarts its count. Build it once, before the loop",
            ),
            (
                lambda i, b: b * _factor(i, w, t + 1),
                "the cosine reaches 0 one step after the last step: step T - 1 must use lr 0, "
                "so the cosine's length is T - 1 - warmup_steps",
            ),
        ]
        for lr_of, message in candidates:
            if len(self.lrs) == t and all(
                math.isclose(lr, lr_of(i, b), rel_tol=1e-9, abs_tol=1e-12)
                for i, step in enumerate(self.lrs)
                for lr, b in zip(step, BASES, strict=True)
            ):
                return message
        ratios = [
            lr / self.expected(i, b)
            for i, step in enumerate(self.lrs)
            for lr, b in zip(step, BASES, strict=True)
            if self.expected(i, b) > 0
        ]
        if (
            ratios
            and not math.isclose(ratios[0], 1.0)
            and all(math.isclose(r, ratios[0], rel_tol=1e-9) for r in ratios)
        ):
            return (
                f"every lr is the scheduled one times {ratios[0]:.6g}: LambdaLR multiplies "
                "each group's initial lr by what your function returns, so the function must "
                "return a factor (1 at the peak), not an lr"
            )
        return ""


def _runs(learner: Any, remote: Remote, device: torch.device) -> list[_Run]:
    runs = [_Run(learner, remote, device, config) for config in range(len(CONFIGS))]
    for run in runs:
        assert len(run.lrs) == run.total, (
            f"train called optimizer.step() {len(run.lrs)} times for {run.described}, "
            f"expected {run.total}: one step per batch of every epoch"
            + (
                ". Use the optimizer you are given: the checks watch its steps"
                if not run.lrs
                else ""
            )
        )
        for step in run.lrs:
            assert len(step) == len(BASES), (
                f"the optimizer had {len(step)} param groups at a step, expected the "
                f"{len(BASES)} it was given"
            )
    return runs


def test_step_count(learner: Any, remote: Remote, device: torch.device) -> None:
    """optimizer.step() runs once per batch, over epochs of uneven length"""
    _runs(learner, remote, device)


def _lr_message(run: _Run, i: int, group: int, got: float) -> str:
    expected = run.expected(i, BASES[group])
    epoch, start = run.epoch_of(i)
    message = (
        f"optimizer step {i} (batch {i - start} of epoch {epoch}) used lr {got:.6g} in the "
        f"param group whose base lr is {BASES[group]}, expected {expected:.6g}, for "
        f"{run.described}"
    )
    why = run.diagnosis()
    if not why and i == 0 and got == 0:
        why = (
            "a warmup factor of step / warmup_steps is 0 at step 0. Step i must use "
            "(i + 1) / warmup_steps"
        )
    return f"{message}. {why}" if why else message


def test_first_step(learner: Any, remote: Remote, device: torch.device) -> None:
    """the first step uses base_lr / warmup_steps in every param group"""
    for run in _runs(learner, remote, device):
        for group, got in enumerate(run.lrs[0]):
            expected = run.expected(0, BASES[group])
            assert math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-12), _lr_message(
                run, 0, group, got
            )


def test_schedule(learner: Any, remote: Remote, device: torch.device) -> None:
    """every step follows the warmup, then the cosine down to 0 at the last step"""
    for run in _runs(learner, remote, device):
        for i, step in enumerate(run.lrs):
            for group, got in enumerate(step):
                expected = run.expected(i, BASES[group])
                assert math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-12), _lr_message(
                    run, i, group, got
                )


def test_weights(learner: Any, remote: Remote, device: torch.device) -> None:
    """the weights equal plain SGD steps at the scheduled lrs"""
    for run in _runs(learner, remote, device):
        model = run.model
        names = [name for name, _ in model.named_parameters()]
        values = {name: p.detach().clone() for name, p in model.named_parameters()}
        bases = {name: BASES[0] if name.startswith("body.") else BASES[1] for name in names}
        step = 0
        for batches in run.epochs:
            for x, y in batches:
                leaves = {name: v.clone().requires_grad_() for name, v in values.items()}
                out = torch.func.functional_call(model, leaves, (x,))
                grads = torch.autograd.grad(F.mse_loss(out, y), list(leaves.values()))
                for name, grad in zip(names, grads, strict=True):
                    values[name] = values[name] - run.expected(step, bases[name]) * grad
                step += 1
        off_schedule = any(
            not math.isclose(lr, run.expected(i, b), rel_tol=1e-9, abs_tol=1e-12)
            for i, step in enumerate(run.lrs)
            for lr, b in zip(step, BASES, strict=True)
        )
        hint = (
            "the lrs your steps used are off the schedule (the lr checks say where)"
            if off_schedule
            else "each batch makes one step on F.mse_loss(model(x), y), with .grad cleared "
            "before its backward(), at the lr the schedule gives that step"
        )
        for name, got in zip(names, run.weights, strict=True):
            assert_close(
                got,
                values[name],
                what=f"model.{name} after train",
                inputs=run.described,
                hint=hint,
                rtol=1e-10,
                atol=1e-12,
            )
