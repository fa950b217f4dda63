"""Hidden checks for broadcast-loss: ``mse(pred (N, 1), target (N,))`` must not broadcast."""

import warnings
from types import ModuleType

import torch

from trainer.checks import assert_close, plain

BATCHES = [1, 2, 7, 16]
F32 = {"rtol": 1e-5, "atol": 1e-6}


def _batch(
    n: int, device: torch.device, dtype: torch.dtype = torch.float32
) -> tuple[torch.Tensor, torch.Tensor]:
    pred = (torch.randn(n, 1, dtype=dtype) * 2 + 0.5).to(device)
    target = (torch.randn(n, dtype=dtype) * 3 - 1).to(device)
    return pred, target


def _reference(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """A loop over the batch, in float64."""
    n = target.shape[0]
    total = sum(float(pred[i, 0] - target[i]) ** 2 for i in range(n))
    return torch.tensor(total / n, dtype=pred.dtype, device=pred.device)


def _describe(pred: torch.Tensor, target: torch.Tensor) -> str:
    return f"pred of shape {tuple(pred.shape)} and target of shape {tuple(target.shape)}"


def test_values(learner: ModuleType, device: torch.device) -> None:
    """mse(pred, target) is the mean of (pred[i, 0] - target[i])² over the batch"""
    torch.manual_seed(0)
    for i, n in enumerate(BATCHES):
        dtype = torch.float64 if i % 2 else torch.float32
        pred, target = _batch(n, device, dtype)
        expected = _reference(pred, target)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # warnings have a check of their own
            got = plain(learner.mse(pred.clone(), target.clone()), "mse(pred, target)")
        if got.numel() != 1:
            raise AssertionError(
                f"mse(pred, target) has {got.numel()} elements (shape {tuple(got.shape)}), "
                f"expected one number ({_describe(pred, target)}): the squared errors were "
                "not averaged over the batch, or they have N * N entries"
            )
        pairs = ((pred - target) ** 2).mean()  # what (N, 1) - (N,) computes
        hint = ""
        if n > 1 and torch.allclose(got.reshape(()).to(pairs.dtype), pairs):
            hint = (
                "Your loss is the mean over all N * N pairs (pred[i] - target[j])²: pred of "
                "shape (N, 1) minus target of shape (N,) broadcasts to (N, N). Make the "
                "shapes equal before subtracting"
            )
        assert_close(
            got.reshape(()),
            expected,
            what="mse(pred, target)",
            inputs=f"{_describe(pred, target)}, {dtype}",
            hint=hint,
            **(F32 if dtype == torch.float32 else {}),
        )


def test_zero_dim(learner: ModuleType, device: torch.device) -> None:
    """mse(pred, target) is a 0-d tensor, like every loss in torch.nn"""
    torch.manual_seed(1)
    for n in BATCHES:
        pred, target = _batch(n, device)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = plain(learner.mse(pred, target), "mse(pred, target)")
        assert got.dim() == 0, (
            f"mse(pred, target) has shape {tuple(got.shape)}, expected () "
            f"({_describe(pred, target)}): a loss is a single number, a 0-d tensor. "
            "Average over all elements (.mean() with no dim)"
        )


def test_gradient(learner: ModuleType, device: torch.device) -> None:
    """loss.backward() gives pred.grad[i, 0] = 2 (pred[i, 0] - target[i]) / N"""
    torch.manual_seed(2)
    for n in (1, 6):
        pred, target = _batch(n, device, torch.float64)
        pred.requires_grad_()
        described = _describe(pred, target)
        expected = 2 * (pred.detach() - target.unsqueeze(1)) / n
        towards_mean = 2 * (pred.detach() - target.mean()) / n  # the (N, N) loss's gradient
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loss = learner.mse(pred, target.clone())
        assert isinstance(loss, torch.Tensor) and loss.requires_grad, (
            f"mse(pred, target) does not require grad ({described}): the loss must be "
            "computed from pred with torch operations (no .item(), .detach() or NumPy), or "
            "backward() never reaches the model"
        )
        loss.sum().backward()
        assert pred.grad is not None, f"pred.grad is None after backward ({described})"
        hint = ""
        if n > 1 and torch.allclose(plain(pred.grad, "pred.grad"), towards_mean):
            hint = (
                "This is the gradient of the (N, N) broadcast loss: it pulls every "
                "prediction towards the mean of all targets instead of its own target"
            )
        assert_close(
            pred.grad,
            expected,
            what="pred.grad after mse(pred, target).backward()",
            inputs=described,
            hint=hint,
        )


def test_no_warnings(learner: ModuleType, device: torch.device) -> None:
    """mse raises no warnings, for any batch size"""
    torch.manual_seed(3)
    for n in BATCHES:
        pred, target = _batch(n, device)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            learner.mse(pred, target)
        first = str(caught[0].message).rstrip(".") if caught else ""
        assert not caught, (
            f"mse(pred, target) warned ({_describe(pred, target)}): "
            f"{caught[0].category.__name__}: {first}. A shape warning from "
            "F.mse_loss means input and target differ in shape, so it broadcasts; note that "
            ".squeeze() with no dim also removes the batch axis when N = 1"
        )


def test_inputs_unchanged(learner: ModuleType, device: torch.device) -> None:
    """pred and target keep their shapes and values"""
    torch.manual_seed(4)
    for n in (1, 5):
        pred, target = _batch(n, device)
        before = (pred.clone(), target.clone())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            learner.mse(pred, target)
        for name, tensor, old in (("pred", pred, before[0]), ("target", target, before[1])):
            assert tensor.shape == old.shape and torch.equal(tensor, old), (
                f"mse changed {name} (now of shape {tuple(tensor.shape)}, was "
                f"{tuple(old.shape)}, N = {n}): methods with a trailing underscore "
                "(unsqueeze_, squeeze_, sub_) change the caller's tensor; use the versions "
                "without it"
            )
