"""Hidden checks for grad-accum: micro-batch gradients must add up to the big batch's."""

import copy
from collections.abc import Callable
from types import ModuleType

import torch
import torch.nn.functional as F
from torch import nn

from trainer.checks import assert_close, plain

N_IN, N_HIDDEN, N_OUT = 5, 7, 3
# float64 throughout: a correct accumulation matches the big batch up to rounding
TOL = {"rtol": 1e-10, "atol": 1e-12}


class _Net(nn.Module):
    """A small MLP that remembers the largest batch it was given."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = nn.Linear(N_IN, N_HIDDEN)
        self.out = nn.Linear(N_HIDDEN, N_OUT)
        self.max_rows = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.max_rows = max(self.max_rows, x.shape[0])
        return self.out(torch.tanh(self.hidden(x)))


def _setup(seed: int, n: int, device: torch.device) -> tuple[_Net, torch.Tensor, torch.Tensor]:
    torch.manual_seed(seed)
    model = _Net().double().to(device)
    x = (torch.randn(n, N_IN, dtype=torch.float64) * 2 + 0.5).to(device)
    y = (torch.randn(n, N_OUT, dtype=torch.float64) * 1.5 - 0.2).to(device)
    return model, x, y


def _grads_of(model: _Net, loss_of: Callable[[_Net], torch.Tensor]) -> dict[str, torch.Tensor]:
    twin = copy.deepcopy(model)
    names, params = zip(*twin.named_parameters(), strict=True)
    grads = torch.autograd.grad(loss_of(twin), params)
    return dict(zip(names, grads, strict=True))


def _big_batch(model: _Net, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
    return _grads_of(model, lambda m: F.mse_loss(m(x), y))


def _close(a: torch.Tensor, b: torch.Tensor) -> bool:
    return torch.allclose(a, b, rtol=1e-8, atol=1e-12)


def _learner_grads(
    learner: ModuleType, model: _Net, x: torch.Tensor, y: torch.Tensor, micro: int
) -> dict[str, torch.Tensor]:
    learner.accumulate_grads(model, x, y, micro)
    grads = {}
    for name, param in model.named_parameters():
        assert param.grad is not None, (
            f"after accumulate_grads (N={len(x)}, micro_batch={micro}), {name}.grad is None, "
            "expected the whole batch's gradient: did backward() run?"
        )
        grads[name] = plain(param.grad, f"{name}.grad")
    return grads


def _diagnosis(
    model: _Net, x: torch.Tensor, y: torch.Tensor, micro: int, name: str, got: torch.Tensor
) -> str:
    chunks = list(zip(x.split(micro), y.split(micro), strict=True))
    k = len(chunks)
    summed = _grads_of(model, lambda m: sum(F.mse_loss(m(a), b) for a, b in chunks))[name]
    if k > 1 and _close(got, summed):
        return (
            f"your gradient is the sum of {k} micro-batch means: each micro-batch loss is a "
            "mean over its own samples, so adding them unscaled counts every sample about "
            f"{k} times. Scale each micro-batch loss by its share of the batch, len(micro) / N"
        )
    xb, yb = chunks[-1]
    last = _grads_of(model, lambda m: F.mse_loss(m(xb), yb))[name]
    if k > 1 and (_close(got, last) or _close(got, last * len(xb) / len(x))):
        return (
            "your gradient is the last micro-batch's alone: clearing .grad inside the loop "
            "throws the earlier micro-batches away. Clear it once, before the loop"
        )
    per_chunk = _grads_of(model, lambda m: sum(F.mse_loss(m(a), b) for a, b in chunks) / k)[name]
    if k > 1 and _close(got, per_chunk):
        return (
            f"you divided every micro-batch loss by the number of micro-batches ({k}), but "
            f"the last one holds {len(xb)} samples, not {micro}: it gets too much weight. "
            "Scale each micro-batch loss by len(micro) / N"
        )
    return "the accumulated .grad must equal the gradient of F.mse_loss(model(x), y)"


def _check_grads(learner: ModuleType, seed: int, n: int, micro: int, device: torch.device) -> None:
    model, x, y = _setup(seed, n, device)
    expected = _big_batch(model, x, y)
    got = _learner_grads(learner, model, x, y, micro)
    for name, grad in got.items():
        assert_close(
            grad,
            expected[name],
            what=f"{name}.grad",
            inputs=f"N={n}, micro_batch={micro}",
            hint=_diagnosis(model, x, y, micro, name, grad),
            **TOL,
        )


def test_matches_big_batch(learner: ModuleType, device: torch.device) -> None:
    """the gradients equal one backward pass on the whole batch"""
    for seed, (n, micro) in enumerate([(12, 4), (3, 1), (6, 6), (1, 4)]):
        _check_grads(learner, seed, n, micro, device)


def test_stale_grads_cleared(learner: ModuleType, device: torch.device) -> None:
    """gradients left over from the previous step do not leak in"""
    model, x, y = _setup(10, 8, device)
    expected = _big_batch(model, x, y)
    stale = {}
    for name, param in model.named_parameters():
        param.grad = torch.randn_like(param) * 3 + 1  # the previous step's gradient
        stale[name] = param.grad.clone()
    got = _learner_grads(learner, model, x, y, 4)
    for name, grad in got.items():
        leaked = _close(grad - stale[name], expected[name])
        assert_close(
            grad,
            expected[name],
            what=f"{name}.grad",
            inputs="N=8, micro_batch=4, with .grad already holding the previous step's gradient",
            hint=(
                "your result is the old .grad plus the new gradient: backward() adds into "
                ".grad, so clear it (model.zero_grad()) before the first micro-batch"
                if leaked
                else _diagnosis(model, x, y, 4, name, grad)
            ),
            **TOL,
        )


def test_uneven_last_batch(learner: ModuleType, device: torch.device) -> None:
    """a smaller last micro-batch counts by its size"""
    for seed, (n, micro) in enumerate([(10, 4), (5, 3), (7, 2)], start=20):
        _check_grads(learner, seed, n, micro, device)


def test_micro_batch_size(learner: ModuleType, device: torch.device) -> None:
    """the model never sees more than micro_batch samples at once"""
    for seed, (n, micro) in enumerate([(12, 4), (9, 2)], start=30):
        model, x, y = _setup(seed, n, device)
        learner.accumulate_grads(model, x, y, micro)
        assert model.max_rows > 0, "accumulate_grads never called the model"
        assert model.max_rows <= micro, (
            f"with N={n} and micro_batch={micro}, the model got a batch of {model.max_rows} "
            f"samples: the point of accumulation is that no forward pass holds more than "
            f"micro_batch samples (that is what fits in memory)"
        )


def test_returns_loss(learner: ModuleType, device: torch.device) -> None:
    """returns the whole batch's loss as a float"""
    for seed, (n, micro) in enumerate([(12, 4), (10, 4), (1, 3)], start=40):
        model, x, y = _setup(seed, n, device)
        with torch.no_grad():
            expected = float(F.mse_loss(model(x), y))
        got = learner.accumulate_grads(model, x, y, micro)
        assert isinstance(got, float), (
            f"accumulate_grads returned {type(got).__name__}, expected a Python float "
            "(the loss for logging)"
        )
        assert abs(got - expected) <= 1e-10 * max(1.0, abs(expected)), (
            f"accumulate_grads returned {got:.10g} for N={n}, micro_batch={micro}, expected "
            f"{expected:.10g}, the mean squared error over the whole batch: weight each "
            "micro-batch's loss by its share of the batch, len(micro) / N"
        )
