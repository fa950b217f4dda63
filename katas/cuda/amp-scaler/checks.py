"""Hidden checks for amp-scaler: a float16 autocast step that scales, unscales, clips, skips.

The oracle is a float64 copy of the model taken just before each step: its gradients are what
the optimizer should see (float16 rounding keeps the learner's within about 1e-3 of them). An
SGD subclass records the gradients each ``optimizer.step()`` was given, so the checks judge
what reached the optimizer, however the learner's code is written.

The model, the optimizer, the scaler, the loss function and the hooks live in the learner
process, beside train_step (defined there with ``remote.define``); the weights and the recorded
gradients are fetched, and the oracle and every comparison run here. On a CPU (the stand-in in
``tests/test_devices.py``) float16 autocast and GradScaler behave as on a GPU.
"""

import math
from collections.abc import Iterable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from trainer.checks import Remote, assert_close, plain

LR = 0.1
SCALE = 2.0**16
TINY = 1e-7
"""Weight of the loss in the underflow check: its gradients (about 1e-8) are below float16's
smallest positive value (6e-8), and 65536 times that is well inside its range."""
RTOL = 2e-2  # float16 forward vs float64 reference; atol is RTOL times the largest gradient
SCALER = (
    "Backpropagate scaler.scale(loss), call scaler.unscale_(optimizer) before clipping, then "
    "scaler.step(optimizer) and scaler.update()"
)
NAMES = ["0.weight", "0.bias", "2.weight", "2.bias"]


class RecordingSGD(torch.optim.SGD):
    """Plain SGD that keeps a copy of the gradients each ``step()`` was called with."""

    def __init__(self, params: list[nn.Parameter], lr: float) -> None:
        super().__init__(params, lr=lr)
        self.seen: list[list[torch.Tensor | None]] = []

    def step(self, closure: object = None) -> object:  # type: ignore[override]
        self.seen.append(
            [
                None if p.grad is None else p.grad.detach().clone()
                for group in self.param_groups
                for p in group["params"]
            ]
        )
        return super().step(closure)


def _net() -> nn.Sequential:
    return nn.Sequential(nn.Linear(7, 5), nn.Tanh(), nn.Linear(5, 3))


def _net_with(state: dict[str, torch.Tensor], device: torch.device) -> nn.Module:
    """_net on ``device`` with the weights in ``state`` (runs in the learner process)."""
    model = _net().to(device)
    model.load_state_dict(state)
    return model


class _WeightedMSE:
    """The loss function handed to train_step (built in the learner process too)."""

    def __init__(self, weight: float) -> None:
        self.weight = weight

    def __call__(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return self.weight * F.mse_loss(output.float(), target)


def _record_dtypes(model: nn.Module) -> list[torch.dtype]:
    """The dtypes the model's Linear layers return, appended as it runs (in the learner
    process)."""
    dtypes: list[torch.dtype] = []
    for layer in (model[0], model[2]):
        layer.register_forward_hook(lambda mod, inp, out: dtypes.append(out.dtype))
    return dtypes


def _overflow(grad: torch.Tensor) -> torch.Tensor:
    """A gradient hook that puts an inf in the gradient (in the learner process)."""
    grad = grad.clone()
    grad.view(-1)[0] = math.inf
    return grad


def _model(remote: Remote, device: torch.device, seed: int) -> Any:
    """The model train_step trains, in the learner process, with weights drawn here."""
    torch.manual_seed(seed)
    state = dict(_net().to(device).state_dict())
    remote.define(_net)
    return remote.define(_net_with)(state, device)


def _optimizer(remote: Remote, model: Any) -> Any:
    return remote.eval(
        "Recording(model.parameters(), lr)",
        Recording=remote.define(RecordingSGD),
        model=model,
        lr=LR,
    )


def _loss(remote: Remote, weight: float) -> Any:
    return remote.define(_WeightedMSE)(weight)


def _data(n: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.randn(n, 7) * torch.linspace(0.5, 2.0, 7)
    return x.to(device), (torch.randn(n, 3) + 0.5).to(device)


def _scaler(remote: Remote, device: torch.device, growth_interval: int = 1000) -> Any:
    return remote.eval(
        "torch.amp.GradScaler(kind, init_scale=scale, growth_interval=interval)",
        kind=device.type,
        scale=SCALE,
        interval=growth_interval,
    )


def _weights(remote: Remote, model: Any) -> dict[str, torch.Tensor]:
    """The learner-side model's weights, fetched."""
    state: dict[str, torch.Tensor] = remote.value(
        remote.eval("{n: t.detach().clone() for n, t in model.state_dict().items()}", model=model)
    )
    return state


def _reference(
    remote: Remote, model: Any, x: torch.Tensor, t: torch.Tensor, weight: float
) -> tuple[float, list[torch.Tensor]]:
    """The loss and gradients of a float64 copy of ``model`` as it is now."""
    ref = _net().to(x.device)
    ref.load_state_dict(_weights(remote, model))
    ref = ref.double()
    loss = _WeightedMSE(weight)(ref(x.double()), t.double())
    grads = torch.autograd.grad(loss, list(ref.parameters()))
    return float(loss), [g.float() for g in grads]


def _call(
    learner: Any,
    model: Any,
    x: torch.Tensor,
    t: torch.Tensor,
    loss_fn: Any,
    optimizer: Any,
    scaler: Any,
    max_norm: float,
) -> object:
    try:
        return learner.train_step(model, x, t, loss_fn, optimizer, scaler, max_norm)
    except RuntimeError as exc:
        if "unscale_()" not in str(exc) and "update()" not in str(exc):
            raise
        raise AssertionError(
            f"train_step raised: {exc} The scaler still counts the previous step as in "
            "progress: call scaler.update() once at the end of every step"
        ) from None


def _norm(grads: Iterable[torch.Tensor]) -> float:
    return math.sqrt(sum(float(g.double().pow(2).sum()) for g in grads))


def _seen_grads(remote: Remote, optimizer: Any, step: int, call: str) -> list[torch.Tensor]:
    seen: list[list[torch.Tensor | None]] = remote.value(optimizer.seen)
    assert len(seen) >= step, (
        f"optimizer.step() ran {len(seen)} times in {step} calls of {call}: every "
        f"clean step must reach the optimizer. {SCALER}"
    )
    grads = seen[step - 1]
    missing = [i for i, g in enumerate(grads) if g is None]
    assert not missing, (
        f"at step {step} the optimizer stepped with no gradient for parameter(s) {missing}: "
        "zero the gradients before the forward pass, not between backward and the step"
    )
    return [g for g in grads if g is not None]


def _compare_grads(
    seen: list[torch.Tensor], expected: list[torch.Tensor], what: str, hint: str
) -> None:
    true_norm, seen_norm = _norm(expected), _norm(seen)
    if seen_norm == 0.0:
        raise AssertionError(
            f"{what}: the optimizer stepped with all-zero gradients, while the true gradient "
            f"norm is {true_norm:.3g}. In float16 every value below 6e-8 rounds to zero during "
            f"backward. {SCALER}"
        )
    ratio = seen_norm / true_norm
    if ratio > 100:
        raise AssertionError(
            f"{what}: the optimizer saw gradients {ratio:.4g} times the true ones: still "
            "multiplied by the loss scale. Step through scaler.step(optimizer), which unscales "
            "them first (or call scaler.unscale_(optimizer))"
        )
    for name, got, want in zip(NAMES, seen, expected, strict=True):
        assert_close(
            got,
            want,
            what=f"{what}: the gradient of {name} the optimizer stepped with",
            rtol=RTOL,
            atol=RTOL * float(want.abs().max()),
            hint=hint,
        )


def test_autocast_float16(learner: Any, remote: Remote, device: torch.device) -> None:
    """the forward pass runs in float16 under autocast"""
    model = _model(remote, device, 0)
    recorded = remote.define(_record_dtypes)(model)
    optimizer = _optimizer(remote, model)
    x, t = _data(4, device)
    _call(learner, model, x, t, _loss(remote, 1.0), optimizer, _scaler(remote, device), 10.0)
    dtypes: list[torch.dtype] = remote.value(recorded)
    assert dtypes, "train_step never ran the model's forward pass"
    wrong = sorted({str(d) for d in dtypes if d != torch.float16})
    assert not wrong, (
        f"the Linear layers returned {', '.join(wrong)} inside train_step, expected "
        "torch.float16: run the forward pass and the loss under "
        "torch.autocast(device_type=batch.device.type, dtype=torch.float16)"
    )


def test_tiny_gradients(learner: Any, remote: Remote, device: torch.device) -> None:
    """tiny gradients reach the optimizer intact: no float16 underflow, no loss scale left"""
    model = _model(remote, device, 1)
    optimizer = _optimizer(remote, model)
    scaler = _scaler(remote, device)
    loss_fn = _loss(remote, TINY)
    for step, n in enumerate((6, 1), start=1):
        x, t = _data(n, device)
        _, expected = _reference(remote, model, x, t, TINY)
        _call(learner, model, x, t, loss_fn, optimizer, scaler, 10.0)
        seen = _seen_grads(remote, optimizer, step, "train_step")
        _compare_grads(
            seen,
            expected,
            f"step {step} (batch of {n}, loss weighted {TINY:g})",
            "Gradients left over from the previous step are added to the new ones unless "
            "they are zeroed first",
        )


def test_inf_skips_the_step(learner: Any, remote: Remote, device: torch.device) -> None:
    """a step with an inf gradient is skipped, and the scale is halved"""
    model = _model(remote, device, 2)
    optimizer = _optimizer(remote, model)
    scaler = _scaler(remote, device)
    loss_fn = _loss(remote, 1.0)
    x, t = _data(5, device)
    _call(learner, model, x, t, loss_fn, optimizer, scaler, 10.0)
    steps = len(optimizer.seen)
    before = _weights(remote, model)
    handle = model[0].weight.register_hook(remote.define(_overflow))
    x, t = _data(3, device)
    _call(learner, model, x, t, loss_fn, optimizer, scaler, 10.0)
    handle.remove()
    after = _weights(remote, model)
    broken = [name for name, p in after.items() if not torch.isfinite(p).all()]
    assert not broken, (
        f"after a step whose gradient held an inf, the weights {', '.join(broken)} are not "
        "finite: the optimizer stepped with it. scaler.step(optimizer) checks the gradients "
        "and skips optimizer.step() when it finds an inf or NaN"
    )
    assert len(optimizer.seen) == steps, (
        "optimizer.step() ran on a step whose gradients held an inf: call "
        "scaler.step(optimizer), not optimizer.step(), so the scaler can skip it"
    )
    changed = [name for name, old in before.items() if not torch.equal(after[name], old)]
    assert not changed, f"the skipped step still changed {', '.join(changed)}"
    scale = float(scaler.get_scale())
    assert scale == SCALE / 2, (
        f"after the overflow scaler.get_scale() is {scale:g}, expected {SCALE / 2:g} (half of "
        f"{SCALE:g}): call scaler.update() after every scaler.step(optimizer), so the scale "
        "comes down until the gradients fit float16"
    )
    x, t = _data(4, device)
    _call(learner, model, x, t, loss_fn, optimizer, scaler, 10.0)
    assert len(optimizer.seen) == steps + 1, (
        "the clean step after the skipped one was skipped too: its gradients still held the "
        "skipped step's inf. Zero the gradients at the start of every step "
        "(optimizer.zero_grad(set_to_none=True))"
    )


def test_clip_after_unscale(learner: Any, remote: Remote, device: torch.device) -> None:
    """clipping acts on the true gradients (scaler.unscale_ before clip_grad_norm_)"""
    for seed, factor in ((3, 0.25), (4, 4.0)):
        model = _model(remote, device, seed)
        optimizer = _optimizer(remote, model)
        loss_fn = _loss(remote, 1.0)
        x, t = _data(6, device)
        _, expected = _reference(remote, model, x, t, 1.0)
        true_norm = _norm(expected)
        max_norm = factor * true_norm
        _call(learner, model, x, t, loss_fn, optimizer, _scaler(remote, device), max_norm)
        seen = _seen_grads(remote, optimizer, 1, "train_step")
        clipped = min(1.0, max_norm / true_norm)
        what = f"max_norm={max_norm:.3g} with a true gradient norm of {true_norm:.3g}"
        seen_norm = _norm(seen)
        assert seen_norm > 0.01 * clipped * true_norm, (
            f"{what}: the optimizer stepped with a gradient norm of {seen_norm:.3g}, expected "
            f"{clipped * true_norm:.3g}. Clipping the scaled gradients clips them "
            f"{SCALE:g} times too hard: call scaler.unscale_(optimizer) before "
            "clip_grad_norm_"
        )
        _compare_grads(
            seen,
            [g * clipped for g in expected],
            what,
            "clip_grad_norm_(model.parameters(), max_norm) on the unscaled gradients",
        )


def test_returns_unscaled_loss(learner: Any, remote: Remote, device: torch.device) -> None:
    """returns the unscaled loss, detached from the graph"""
    model = _model(remote, device, 5)
    optimizer = _optimizer(remote, model)
    loss_fn = _loss(remote, 1.0)
    for n in (4, 1):
        x, t = _data(n, device)
        loss, _ = _reference(remote, model, x, t, 1.0)
        result = _call(learner, model, x, t, loss_fn, optimizer, _scaler(remote, device), 10.0)
        what = f"train_step(...) for a batch of {n}"
        if isinstance(result, torch.Tensor):
            assert not result.requires_grad, (
                f"{what} returned a loss that is still attached to the graph: return "
                "loss.detach(), or every step's graph stays alive while you log it"
            )
        value = plain(result, what).reshape(-1)
        assert value.numel() == 1, f"{what} returned {value.numel()} values, expected the loss"
        got = float(value[0])
        if abs(got) > 100 * abs(loss):
            raise AssertionError(
                f"{what} returned {got:.6g}, {got / loss:.4g} times the loss {loss:.6g}: "
                "return the loss, not scaler.scale(loss)"
            )
        assert math.isclose(got, loss, rel_tol=1e-2), (
            f"{what} returned {got:.6g}, expected the loss {loss:.6g}"
        )
