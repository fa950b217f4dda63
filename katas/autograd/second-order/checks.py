"""Hidden checks for second-order: Hessian-vector products and a differentiable gradient
penalty, both of which need create_graph=True."""

import functools
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from trainer.checks import Remote, assert_close, gradcheck64, plain

D, HIDDEN = 3, 7
NO_GRAPH = "does not require grad and does not have a grad_fn"
F32 = {"rtol": 1e-5, "atol": 1e-6}


# Scalar test functions of x with non-trivial Hessians; a (5, n) and q (n, n) are constants.
# Module level and self-contained: the learner's hvp gets them in its own process.
def _sin_square(x: torch.Tensor, a: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    return (x.sin() * x.pow(2)).sum()


def _logsumexp(x: torch.Tensor, a: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    return torch.logsumexp(a @ x.reshape(-1), dim=0)


def _quartic(x: torch.Tensor, a: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    return x.reshape(-1) @ q @ x.reshape(-1) / 2 + x.pow(4).sum() / 10


FUNCTIONS = {
    "f(x) = sum(sin(x) * x**2)": _sin_square,
    "f(x) = logsumexp(A @ x)": _logsumexp,
    "f(x) = x @ Q @ x / 2 + sum(x**4) / 10": _quartic,
}

Scalar = Callable[[torch.Tensor], torch.Tensor]


def _functions(remote: Remote, n: int, device: torch.device) -> dict[str, tuple[Scalar, Any]]:
    """Each test function of a tensor with n elements: here, and in the learner process."""
    a = (torch.randn(5, n, dtype=torch.float64) * 0.7).to(device)
    q = torch.randn(n, n, dtype=torch.float64).to(device)
    return {
        name: (
            functools.partial(fn, a=a, q=q),
            remote.eval("lambda x: fn(x, a, q)", fn=remote.define(fn), a=a, q=q),
        )
        for name, fn in FUNCTIONS.items()
    }


def _there(remote: Remote, x: torch.Tensor) -> Any:
    """x in the learner process, non-contiguous where x is a transposed matrix (tensors travel
    contiguous, so the transpose is taken there)."""
    if x.dim() == 2 and not x.is_contiguous() and x.t().is_contiguous():
        return remote.eval("x.t()", x=x.t())
    return remote.tensor(x)


def _hessian_times(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, v: torch.Tensor):
    hessian = torch.autograd.functional.hessian(f, x.detach())
    n = x.numel()
    return (hessian.reshape(n, n) @ v.reshape(n)).reshape(x.shape)


def _call_hvp(learner: Any, f: Any, x: Any, v: torch.Tensor) -> Any:
    try:
        return learner.hvp(f, x, v)
    except RuntimeError as exc:
        if NO_GRAPH not in str(exc):
            raise
        raise AssertionError(
            "hvp raised 'element 0 of tensors does not require grad and does not have a "
            "grad_fn': the first gradient was computed without create_graph=True, so autograd "
            "did not record how it depends on x and cannot differentiate it again"
        ) from None


def test_hvp(learner: Any, remote: Remote, device: torch.device) -> None:
    """hvp(f, x, v) equals the Hessian of f at x times v"""
    torch.manual_seed(0)
    inputs = [
        torch.randn(1, dtype=torch.float64),
        torch.randn(6, dtype=torch.float64) * 1.5,
        torch.randn(4, 3, dtype=torch.float64).t(),  # (3, 4), non-contiguous
    ]
    for x in inputs:
        x = x.to(device)
        v = torch.randn(x.shape, dtype=torch.float64).to(device)
        theirs = _there(remote, x)
        for name, (f, their_f) in _functions(remote, x.numel(), device).items():
            expected = _hessian_times(f, x, v)
            got = plain(_call_hvp(learner, their_f, theirs, v), "hvp(f, x, v)")
            leaf = x.detach().requires_grad_()
            accumulated = torch.autograd.grad(f(leaf), leaf)[0] + expected
            hint = (
                "that is the gradient plus H v: backward() adds into .grad, so the second "
                "backward added H v to the first gradient. torch.autograd.grad returns the "
                "gradient without touching .grad"
                if torch.allclose(got, accumulated)
                else "H v is the gradient of (g * v).sum() with respect to x, where g = df/dx"
            )
            assert_close(
                got,
                expected,
                what="hvp(f, x, v)",
                inputs=f"{name}, x of shape {tuple(x.shape)}",
                hint=hint,
            )


def test_hvp_leaves_grad_alone(learner: Any, remote: Remote, device: torch.device) -> None:
    """hvp leaves x.grad as it was"""
    torch.manual_seed(1)
    # a leaf with a .grad, in the learner process (where its hvp could change them)
    x = remote.tensor((torch.randn(5, dtype=torch.float64) * 1.2).to(device).requires_grad_())
    stale = torch.randn(5, dtype=torch.float64).to(device)
    x.grad = stale
    v = torch.randn(5, dtype=torch.float64).to(device)
    _, f = next(iter(_functions(remote, 5, device).values()))
    _call_hvp(learner, f, x, v)
    grad = x.grad
    assert grad is not None and torch.equal(plain(grad, "x.grad"), stale), (
        "hvp changed x.grad of a tensor that requires grad (think of a model's weights, "
        "holding the gradient of the current step): that gradient is the optimizer's, and "
        "hvp must not touch it. Compute the inner gradients with torch.autograd.grad, which "
        "returns them instead of writing them into .grad"
    )


class _Critic(nn.Module):
    """tanh MLP critic; weights are Parameters, or plain tensors for gradcheck."""

    def __init__(self, weights: dict[str, torch.Tensor], as_parameters: bool) -> None:
        super().__init__()
        for name, value in weights.items():
            setattr(self, name, nn.Parameter(value) if as_parameters else value)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(x @ self.w1.T + self.b1) @ self.w2 + self.b2


def _weights(device: torch.device, dtype: torch.dtype = torch.float32) -> dict[str, torch.Tensor]:
    return {
        "w1": (torch.randn(HIDDEN, D, dtype=dtype) * 0.9).to(device),
        "b1": (torch.randn(HIDDEN, dtype=dtype) * 0.3).to(device),
        "w2": (torch.randn(HIDDEN, 1, dtype=dtype) * 0.8).to(device),
        "b2": (torch.randn(1, dtype=dtype) * 0.1).to(device),
    }


def _input_grads(weights: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """d critic(x)_i / d x_i, by hand: ((1 - tanh(a)**2) * w2) @ w1 for each sample."""
    s = torch.tanh(x @ weights["w1"].T + weights["b1"])
    return ((1 - s**2) * weights["w2"][:, 0]) @ weights["w1"]


def _samples(n: int, device: torch.device, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return (torch.randn(D, n, dtype=dtype) * 1.5 + 0.2).to(device).t()  # non-contiguous


def test_penalty_value(learner: Any, remote: Remote, device: torch.device) -> None:
    """gradient_penalty equals mean((||d critic(x)_i / d x_i|| - 1)**2)"""
    torch.manual_seed(2)
    for n in (1, 5):
        weights = _weights(device)
        x = _samples(n, device)
        g = _input_grads(weights, x)
        expected = ((g.norm(dim=1) - 1) ** 2).mean()
        critic = remote.define(_Critic)(weights, as_parameters=True)
        got = learner.gradient_penalty(critic, _there(remote, x))
        got_value = plain(got, "gradient_penalty(critic, x)")
        if n > 1 and torch.allclose(got_value, (g.norm() - 1) ** 2, **F32):
            hint = "you took one norm over the whole batch; the norm is per sample, dim=1"
        elif torch.allclose(got_value, ((g.pow(2).sum(1) - 1) ** 2).mean(), **F32):
            hint = "you used the squared norm; the penalty uses the norm itself"
        else:
            hint = "penalise each sample's input-gradient norm for differing from 1, then average"
        assert_close(
            got_value,
            expected,
            what="gradient_penalty(critic, x)",
            inputs=f"x of shape {tuple(x.shape)}",
            hint=hint,
            **F32,
        )


def test_penalty_trains_critic(learner: Any, remote: Remote, device: torch.device) -> None:
    """gradient_penalty backpropagates into the critic's weights"""
    torch.manual_seed(3)
    weights = _weights(device, torch.float64)
    x = _there(remote, _samples(4, device, torch.float64))
    leaves = {k: w.clone().requires_grad_(k != "b2") for k, w in weights.items()}
    critic_class = remote.define(_Critic)
    penalty = learner.gradient_penalty(critic_class(leaves, as_parameters=False), x)
    assert isinstance(penalty, torch.Tensor) and penalty.requires_grad, (
        "gradient_penalty(critic, x) does not require grad, so the critic's weights get no "
        "gradient from it and the penalty trains nothing. The input gradient was computed "
        "without create_graph=True: autograd did not record how it depends on the weights"
    )

    # the penalty as a function of the weights, built beside the learner's function
    penalty_of = remote.eval(
        "lambda w1, b1, w2: learner.gradient_penalty("
        "critic_class({'w1': w1, 'b1': b1, 'w2': w2, 'b2': b2}, False), x)",
        critic_class=critic_class,
        b2=weights["b2"],
        x=x,
    )

    try:
        gradcheck64(
            penalty_of,
            weights["w1"],
            weights["b1"],
            weights["w2"],
            what="gradient_penalty as a function of the critic's weights",
            names=["w1", "b1", "w2"],
        )
    except AssertionError as exc:
        raise AssertionError(
            f"{exc}. The penalty reaches the weights only through the input gradient: compute "
            "it with create_graph=True and keep it attached (no .detach(), .item() or .data)"
        ) from None


def test_penalty_leaves_grad_alone(learner: Any, remote: Remote, device: torch.device) -> None:
    """gradient_penalty leaves the critic's .grad alone"""
    torch.manual_seed(4)
    critic = remote.define(_Critic)(_weights(device), as_parameters=True)
    learner.gradient_penalty(critic, _there(remote, _samples(3, device)))
    # every parameter's .grad, by value, in one request
    grads = remote.value(remote.eval("{n: p.grad for n, p in c.named_parameters()}", c=critic))
    touched = [name for name, grad in grads.items() if grad is not None]
    assert not touched, (
        f"after gradient_penalty, the critic's {', '.join(touched)} have a .grad: the inner "
        "gradient was computed with backward(), which also wrote d critic / d weights into "
        "the critic's .grad, and the next optimizer step would apply it. Use "
        "torch.autograd.grad(..., create_graph=True), which only returns the gradient"
    )


def test_x_left_alone(learner: Any, remote: Remote, device: torch.device) -> None:
    """hvp and gradient_penalty leave x as they found it, not requiring grad"""
    torch.manual_seed(5)
    # data as the caller holds it: plain tensors that do not require grad (made in the
    # learner process, where the learner's functions could change them)
    x = (torch.randn(5, dtype=torch.float64) * 1.2).to(device)
    v = torch.randn(5, dtype=torch.float64).to(device)
    samples = _samples(3, device).contiguous()
    their_x, their_samples = remote.tensor(x), remote.tensor(samples)
    _, f = next(iter(_functions(remote, 5, device).values()))
    _call_hvp(learner, f, their_x, v)
    critic = remote.define(_Critic)(_weights(device), as_parameters=True)
    learner.gradient_penalty(critic, their_samples)
    for call, theirs, before in (
        ("hvp(f, x, v)", their_x, x),
        ("gradient_penalty(critic, x)", their_samples, samples),
    ):
        flag = theirs.requires_grad
        assert flag is False, (
            f"after {call}, the caller's x requires grad: x.requires_grad_() switched it on "
            "for the caller too, so every later operation on x records a graph. Work on a "
            "leaf of your own: x.detach().requires_grad_()"
        )
        assert torch.equal(plain(theirs, "x"), before), f"{call} changed the values of x"
