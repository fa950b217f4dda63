"""Hidden checks for broadcast-loss: ``mse(pred (N, 1), target (N,))`` must not broadcast."""

from typing import Any

import torch

from trainer.checks import Remote, assert_close, plain

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


def _quietly(fn: Any, *args: Any) -> Any:
    """fn(*args) with warnings silenced (defined in the learner process, where they arise)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # warnings have a check of their own
        return fn(*args)


def _first_warning(fn: Any, *args: Any) -> str:
    """The first warning fn(*args) raises, as "Category: message", or "" (defined in the
    learner process, where warnings arise)."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn(*args)
    if not caught:
        return ""
    return f"{caught[0].category.__name__}: {str(caught[0].message).rstrip('.')}"


def test_values(learner: Any, remote: Remote, device: torch.device) -> None:
    """mse(pred, target) is the mean of (pred[i, 0] - target[i])² over the batch"""
    torch.manual_seed(0)
    quietly, mse = remote.define(_quietly), learner.mse
    for i, n in enumerate(BATCHES):
        dtype = torch.float64 if i % 2 else torch.float32
        pred, target = _batch(n, device, dtype)
        expected = _reference(pred, target)
        got = plain(quietly(mse, pred, target), "mse(pred, target)")
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


def test_zero_dim(learner: Any, remote: Remote, device: torch.device) -> None:
    """mse(pred, target) is a 0-d tensor, like every loss in torch.nn"""
    torch.manual_seed(1)
    quietly, mse = remote.define(_quietly), learner.mse
    for n in BATCHES:
        pred, target = _batch(n, device)
        got = plain(quietly(mse, pred, target), "mse(pred, target)")
        assert got.dim() == 0, (
            f"mse(pred, target) has shape {tuple(got.shape)}, expected () "
            f"({_describe(pred, target)}): a loss is a single number, a 0-d tensor. "
            "Average over all elements (.mean() with no dim)"
        )


def test_gradient(learner: Any, remote: Remote, device: torch.device) -> None:
    """loss.backward() gives pred.grad[i, 0] = 2 (pred[i, 0] - target[i]) / N"""
    torch.manual_seed(2)
    quietly = remote.define(_quietly)
    for n in (1, 6):
        pred, target = _batch(n, device, torch.float64)
        described = _describe(pred, target)
        expected = 2 * (pred - target.unsqueeze(1)) / n
        towards_mean = 2 * (pred - target.mean()) / n  # the (N, N) loss's gradient
        leaf = remote.tensor(pred.clone().requires_grad_())  # a leaf in the learner process
        loss = quietly(learner.mse, leaf, target)
        assert isinstance(loss, torch.Tensor) and loss.requires_grad, (
            f"mse(pred, target) does not require grad ({described}): the loss must be "
            "computed from pred with torch operations (no .item(), .detach() or NumPy), or "
            "backward() never reaches the model"
        )
        loss.sum().backward()
        grad = leaf.grad
        assert grad is not None, f"pred.grad is None after backward ({described})"
        got = plain(grad, "pred.grad")
        hint = ""
        if n > 1 and got.shape == towards_mean.shape and torch.allclose(got, towards_mean):
            hint = (
                "This is the gradient of the (N, N) broadcast loss: it pulls every "
                "prediction towards the mean of all targets instead of its own target"
            )
        assert_close(
            got,
            expected,
            what="pred.grad after mse(pred, target).backward()",
            inputs=described,
            hint=hint,
        )


def test_no_warnings(learner: Any, remote: Remote, device: torch.device) -> None:
    """mse raises no warnings, for any batch size"""
    torch.manual_seed(3)
    first_warning, mse = remote.define(_first_warning), learner.mse
    for n in BATCHES:
        pred, target = _batch(n, device)
        first = first_warning(mse, pred, target)
        assert not first, (
            f"mse(pred, target) warned ({_describe(pred, target)}): {first}. A shape "
            "warning from F.mse_loss means input and target differ in shape, so it "
            "broadcasts; note that .squeeze() with no dim also removes the batch axis when "
            "N = 1"
        )


def test_inputs_unchanged(learner: Any, remote: Remote, device: torch.device) -> None:
    """pred and target keep their shapes and values"""
    torch.manual_seed(4)
    quietly = remote.define(_quietly)
    for n in (1, 5):
        before = _batch(n, device)
        # made in the learner process, so that what mse does to them can be seen
        theirs = remote.tensor(before[0]), remote.tensor(before[1])
        quietly(learner.mse, *theirs)
        for name, their, old in zip(("pred", "target"), theirs, before, strict=True):
            tensor = plain(their, name)
            assert tensor.shape == old.shape and torch.equal(tensor, old), (
                f"mse changed {name} (now of shape {tuple(tensor.shape)}, was "
                f"{tuple(old.shape)}, N = {n}): methods with a trailing underscore "
                "(unsqueeze_, squeeze_, sub_) change the caller's tensor; use the versions "
                "without it"
            )
