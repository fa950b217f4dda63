"""Hidden checks for inplace-saved: ``gaussian_nll`` must survive backward."""

from typing import Any

import torch
import torch.nn.functional as F

from trainer.checks import Remote, assert_close, gradcheck64, plain

SHAPES = [(1,), (5, 3), (2, 4, 6)]
F32 = {"rtol": 1e-5, "atol": 1e-6}
NAMES = ("mean", "log_std", "target")


def _inputs(
    shape: tuple[int, ...], device: torch.device, dtype: torch.dtype = torch.float32
) -> list[torch.Tensor]:
    """mean, log_std and target: std between about 0.1 and 5, targets a few std away."""
    mean = torch.randn(shape, dtype=dtype) * 2 + 0.5
    log_std = torch.randn(shape, dtype=dtype) * 0.8 - 0.3
    target = mean + torch.randn(shape, dtype=dtype) * 1.5
    return [t.to(device) for t in (mean, log_std, target)]


def _reference(
    mean: torch.Tensor, log_std: torch.Tensor, target: torch.Tensor, min_std: float
) -> torch.Tensor:
    # gaussian_nll_loss: mean of (log(var) + (input - target)**2 / var) / 2, var = std**2
    std = log_std.exp() + min_std
    return F.gaussian_nll_loss(mean, target, std.square(), eps=1e-12)


def _call(shape: tuple[int, ...], min_std: float, dtype: torch.dtype = torch.float32) -> str:
    kind = "" if dtype == torch.float32 else f", {dtype}"
    return f"gaussian_nll(mean, log_std, target, min_std={min_std}), inputs of shape {shape}{kind}"


def test_value(learner: Any, remote: Remote, device: torch.device) -> None:
    """the loss matches F.gaussian_nll_loss; inputs stay unchanged"""
    torch.manual_seed(0)
    cases = [(shape, dtype) for shape in SHAPES for dtype in (torch.float32, torch.float64)]
    for (shape, dtype), min_std in zip(cases, [0.01, 0.1, 0.05, 0.01, 0.2, 0.01], strict=True):
        inputs = _inputs(shape, device, dtype)
        # the caller's tensors, in the learner process (where its code could write into them)
        theirs = remote.tensor(inputs)
        got = learner.gaussian_nll(*theirs, min_std=min_std)
        after = remote.value(theirs)  # all three, by value, in one request
        for name, tensor, old in zip(NAMES, after, inputs, strict=True):
            assert torch.equal(tensor, old), (
                f"{_call(shape, min_std, dtype)} changed {name} in place: the caller's "
                "tensors must stay as they were"
            )
        tolerance = F32 if dtype == torch.float32 else {}
        assert_close(
            got,
            _reference(*inputs, min_std),
            what="the loss",
            inputs=_call(shape, min_std, dtype),
            **tolerance,
        )
    # min_std left at its default, and a non-contiguous mean
    mean, log_std, target = _inputs((3, 7), device)
    mean = mean.t().contiguous().t()
    # tensors travel contiguous: make the learner's copy non-contiguous in its process
    theirs = remote.eval("m.t().contiguous().t()", m=mean)
    assert_close(
        learner.gaussian_nll(theirs, log_std, target),
        _reference(mean, log_std, target, 0.01),
        what="the loss",
        inputs="gaussian_nll(mean, log_std, target) with the default min_std, a non-contiguous "
        "mean of shape (3, 7)",
        **F32,
    )


def _learner_grads(
    learner: Any, remote: Remote, inputs: list[torch.Tensor], min_std: float, call: str
) -> list[torch.Tensor]:
    """mean.grad and log_std.grad after loss.backward(), all in the learner process."""
    leaves = list(remote.tensor([t.detach().clone().requires_grad_() for t in inputs]))
    loss = learner.gaussian_nll(*leaves, min_std=min_std)
    assert isinstance(loss, torch.Tensor) and loss.requires_grad, (
        f"the loss of {call} does not require grad: it must be computed from mean and log_std "
        "with differentiable tensor ops"
    )
    try:
        loss.backward()
    except RuntimeError as exc:
        if "modified by an inplace operation" not in str(exc):
            raise
        raise AssertionError(
            f"loss.backward() failed for {call}: {str(exc).split(' Hint:')[0].rstrip('.')}. "
            "An op saved a tensor for backward (exp saves its output, since "
            "d exp(x)/dx = exp(x)), and an in-place op (+=, add_, ...) changed it afterwards. "
            "Under torch.no_grad() or through .detach() the write still counts. Compute a new "
            "tensor instead"
        ) from None
    grads = []
    for name, leaf in zip(NAMES[:2], leaves, strict=False):
        grad = leaf.grad
        assert grad is not None, (
            f"{name}.grad is None after loss.backward() ({call}): the loss must stay "
            f"connected to {name} (a .detach() or .data cuts it off)"
        )
        grads.append(plain(grad, f"{name}.grad"))
    return grads


def test_backward_runs(learner: Any, remote: Remote, device: torch.device) -> None:
    """loss.backward() runs and reaches both mean and log_std"""
    torch.manual_seed(1)
    for shape in SHAPES:
        _learner_grads(learner, remote, _inputs(shape, device), 0.01, _call(shape, 0.01))


def test_gradients(learner: Any, remote: Remote, device: torch.device) -> None:
    """mean.grad and log_std.grad match F.gaussian_nll_loss's"""
    torch.manual_seed(2)
    for shape, min_std in zip(SHAPES, [0.1, 0.01, 0.05], strict=True):
        inputs = _inputs(shape, device)
        call = _call(shape, min_std)
        got = _learner_grads(learner, remote, inputs, min_std, call)
        leaves = [t.clone().requires_grad_() for t in inputs[:2]]
        _reference(*leaves, inputs[2], min_std).backward()
        for name, grad, leaf in zip(NAMES, got, leaves, strict=False):
            assert leaf.grad is not None
            assert_close(
                grad,
                leaf.grad,
                what=f"{name}.grad",
                inputs=call,
                hint="If only log_std.grad is off, backward used a value that was changed "
                "after exp saved it (through .data, which autograd cannot see)",
                **F32,
            )


def test_gradcheck(learner: Any, remote: Remote, device: torch.device) -> None:
    """float64 gradcheck passes for mean, log_std and target"""
    torch.manual_seed(3)
    for shape, min_std in [((1,), 0.1), ((3, 4), 0.02)]:
        mean, log_std, target = _inputs(shape, device, torch.float64)
        # the loss at this min_std, built beside the learner's function
        nll = remote.eval(
            "lambda m, s, t: learner.gaussian_nll(m, s, t, min_std=min_std)", min_std=min_std
        )
        gradcheck64(
            nll,
            mean,
            log_std,
            target,
            what=f"gaussian_nll(mean, log_std, target, min_std={min_std})",
            names=list(NAMES),
        )
