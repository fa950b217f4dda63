"""Hidden checks for ema-weights: ``EMA(model, decay)`` keeps ``ema.module``, whose parameters
follow ema = decay * ema + (1 - decay) * param and whose buffers are copied from the model, in
tensors of its own, without autograd history."""

from typing import Any

import torch
from torch import nn

from trainer.checks import LearnerRaised, Remote, assert_close

N_IN, N_HIDDEN, N_OUT = 5, 7, 3
LR = 0.2
# float64: ema.lerp_(p, 1 - d) and d * ema + (1 - d) * p differ by rounding only
TOL = {"rtol": 1e-10, "atol": 1e-12}

State = dict[str, torch.Tensor]


class _Net(nn.Module):
    """A small model with a BatchNorm1d, whose buffers change in every train-mode forward."""

    def __init__(self, n_in: int, n_hidden: int, n_out: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(n_in, n_hidden)
        self.bn = nn.BatchNorm1d(n_hidden)
        self.fc2 = nn.Linear(n_hidden, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(torch.tanh(self.bn(self.fc1(x))))


def _train_step(model: nn.Module, x: torch.Tensor, w: torch.Tensor, lr: float) -> None:
    """One SGD step on the loss (model(x) * w).sum(), in train mode, so the BatchNorm
    statistics move too (defined in the learner process)."""
    model.train()
    params = list(model.parameters())
    grads = torch.autograd.grad((model(x) * w).sum(), params)
    with torch.no_grad():
        for param, grad in zip(params, grads, strict=True):
            param -= lr * grad


def _state(model: nn.Module) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """Copies of a model's parameters and buffers (defined in the learner process)."""
    params = {n: p.detach().clone() for n, p in model.named_parameters()}
    buffers = {n: b.detach().clone() for n, b in model.named_buffers()}
    return params, buffers


def _history(module: nn.Module) -> list[str]:
    """The names of the module's tensors that carry autograd history (defined in the learner
    process)."""
    named = [*module.named_parameters(), *module.named_buffers()]
    return [name for name, tensor in named if tensor.grad_fn is not None]


def _update(ema: Any, model: Any) -> None:
    """ema.update(model), with the usual failures explained."""
    try:
        ema.update(model)
    except LearnerRaised as exc:
        text = str(exc)
        first = text.splitlines()[0].rstrip(".")
        if "leaf Variable that requires grad" in text:
            raise AssertionError(
                f"ema.update(model) raised {exc.short_type}: {first}. The EMA's parameters "
                "require grad, and autograd refuses to record an in-place change to them. The "
                "update is bookkeeping, not part of any loss: run it under torch.no_grad()"
            ) from None
        if "not implemented for 'Long'" in text:
            raise AssertionError(
                f"ema.update(model) raised {exc.short_type}: {first}. BatchNorm's "
                "num_batches_tracked is an int64 counter, which cannot be averaged: copy the "
                "buffers (ema_b.copy_(b)) and average only the parameters"
            ) from None
        raise


class _Run:
    """EMA(model, decay), updated right away and after each of ``steps`` training steps; the
    judge's float64 recursion alongside."""

    def __init__(
        self, learner: Any, remote: Remote, device: torch.device, decay: float, seed: int
    ) -> None:
        torch.manual_seed(seed)
        reference = _Net(N_IN, N_HIDDEN, N_OUT).double().to(device)
        with torch.no_grad():  # BatchNorm gains away from 1, biases away from 0
            for param in reference.parameters():
                param.add_(torch.randn_like(param) * 0.2)
        self.device, self.decay, self.remote = device, decay, remote
        self.model = remote.define(_Net)(N_IN, N_HIDDEN, N_OUT).double().to(device)
        self.model.load_state_dict(dict(reference.state_dict()))
        remote.define(_state)
        self.start: tuple[State, State] = remote.fetch("_state(m)", m=self.model)
        self.ema = learner.EMA(self.model, decay)
        self.after_init = remote.fetch("_state(m)", m=self.model)
        params, _ = self.start
        self.expected: State = {n: p.clone() for n, p in params.items()}
        self.updates = 0
        self.update()

    def update(self) -> None:
        """ema.update(model), and the same update of the judge's recursion."""
        _update(self.ema, self.model)
        params, buffers = self.remote.fetch("_state(m)", m=self.model)
        d = self.decay
        self.expected = {n: d * self.expected[n] + (1 - d) * p for n, p in params.items()}
        self.expected_buffers: State = buffers
        self.updates += 1

    def step(self) -> None:
        x = (torch.randn(6, N_IN, dtype=torch.float64) * 2 + 1).to(self.device)
        w = (torch.randn(6, N_OUT, dtype=torch.float64) + 0.3).to(self.device)
        self.remote.define(_train_step)(self.model, x, w, LR)

    def ema_state(self) -> tuple[State, State]:
        state: tuple[State, State] = self.remote.fetch("_state(e.module)", e=self.ema)
        return state

    def described(self) -> str:
        return (
            f"decay={self.decay}, after {self.updates} update(s): the first right after "
            "EMA(model, decay), each later one after a training step that changed the "
            "model's weights and BatchNorm statistics"
        )


def _runs(learner: Any, remote: Remote, device: torch.device) -> list[_Run]:
    return [_Run(learner, remote, device, decay, seed) for seed, decay in enumerate((0.9, 0.75))]


def _param_hint(run: _Run, name: str, got: torch.Tensor) -> str:
    live = run.remote.fetch("dict(m.named_parameters())[n].detach()", m=run.model, n=name)
    if torch.allclose(got, live, rtol=1e-12, atol=1e-14):
        return (
            "the EMA holds the live model's current weights: it must be a copy of its own "
            "(copy.deepcopy), updated by the recursion"
        )
    return (
        f"each update must compute {run.decay} * ema + {1 - run.decay:g} * param: the old "
        "average weighs decay, the new weights 1 - decay"
    )


def test_parameters(learner: Any, remote: Remote, device: torch.device) -> None:
    """after each update, the EMA parameters equal decay * ema + (1 - decay) * param"""
    for run in _runs(learner, remote, device):
        for step in range(4):
            if step:
                run.step()
                run.update()
            params, _ = run.ema_state()
            missing = sorted(set(run.expected) - set(params))
            assert not missing, (
                f"ema.module has no parameter(s) {', '.join(missing)}: it must be a copy of "
                "the model, with the same parameter names"
            )
            for name, expected in run.expected.items():
                got = params[name]
                close = got.shape == expected.shape and torch.allclose(got, expected, **TOL)
                assert_close(
                    got,
                    expected,
                    what=f"ema.module.{name}",
                    inputs=run.described(),
                    hint="" if close else _param_hint(run, name, got),
                    **TOL,
                )


def test_buffers(learner: Any, remote: Remote, device: torch.device) -> None:
    """BatchNorm buffers, num_batches_tracked included, are copied from the model"""
    for run in _runs(learner, remote, device):
        for step in range(3):
            if step:
                run.step()
                run.update()
            _, buffers = run.ema_state()
            initial = run.start[1]
            for name, expected in run.expected_buffers.items():
                assert name in buffers, (
                    f"ema.module has no buffer {name}: it must be a copy of the model, with "
                    "the same buffers"
                )
                got = buffers[name]
                hint = "buffers are copied from the model at each update, not averaged"
                if step and torch.equal(got, initial[name]):
                    hint = (
                        "the EMA still holds the BatchNorm statistics the model had when the "
                        "EMA was built: model.parameters() does not list buffers. Copy every "
                        "buffer (model.buffers()) at each update"
                    )
                assert_close(
                    got,
                    expected,
                    what=f"ema.module.{name}",
                    inputs=run.described(),
                    hint=hint,
                    rtol=0.0,
                    atol=0.0,
                )


def test_no_history(learner: Any, remote: Remote, device: torch.device) -> None:
    """the EMA's tensors carry no autograd history"""
    for run in _runs(learner, remote, device)[:1]:
        run.step()
        run.update()
        remote.define(_history)
        names = remote.fetch("_history(e.module)", e=run.ema)
        assert not names, (
            f"ema.module's {', '.join(names)} carry autograd history (a grad_fn) after "
            f"{run.updates} updates: the update was recorded by autograd. Every update then "
            "adds to a graph that keeps the live model's tensors alive and grows without end. "
            "Run the update under torch.no_grad()"
        )


def test_own_storage(learner: Any, remote: Remote, device: torch.device) -> None:
    """changing the live model in place leaves the EMA alone until the next update"""
    for run in _runs(learner, remote, device)[:1]:
        run.step()
        run.update()
        before_params, before_buffers = run.ema_state()
        with remote.torch.no_grad():
            remote.eval(
                "[t.add_(t.abs() + 1) for t in [*m.parameters(), *m.buffers()]]", m=run.model
            )
        after_params, after_buffers = run.ema_state()
        for kind, before, after in (
            ("parameter", before_params, after_params),
            ("buffer", before_buffers, after_buffers),
        ):
            for name, value in before.items():
                assert torch.equal(after[name], value), (
                    f"changing the live model's {kind}s in place also changed "
                    f"ema.module.{name}: the two share memory. Build the EMA's copy with "
                    "copy.deepcopy(model), and update it with in-place copies into its own "
                    "tensors (never by assigning the model's tensors to it)"
                )


def test_model_untouched(learner: Any, remote: Remote, device: torch.device) -> None:
    """building and updating the EMA leave the live model unchanged"""
    for run in _runs(learner, remote, device):
        start = {**run.start[0], **run.start[1]}
        run.step()
        trained = run.remote.fetch("_state(m)", m=run.model)
        run.update()
        for when, reference, (params, buffers) in (
            ("EMA(model, decay)", start, run.after_init),
            (
                "ema.update(model) after a training step",
                {**trained[0], **trained[1]},
                run.remote.fetch("_state(m)", m=run.model),
            ),
        ):
            for name, value in {**params, **buffers}.items():
                assert torch.equal(value, reference[name]), (
                    f"{when} changed the live model's {name} (decay={run.decay}): the EMA "
                    "must only read the model. Update the EMA's own tensors, e.g. "
                    "ema_p.lerp_(p, 1 - decay), not p.lerp_(ema_p, ...)"
                )
