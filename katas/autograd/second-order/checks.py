"""Hidden checks for second-order: Hessian-vector products and a differentiable gradient
penalty, both of which need create_graph=True."""

from collections.abc import Callable
from types import ModuleType

import torch
from torch import nn

from trainer.checks import assert_close, gradcheck64, plain

D, HIDDEN = 3, 7
NO_GRAPH = "does not require grad and does not have a grad_fn"
F32 = {"rtol": 1e-5, "atol": 1e-6}


def _functions(n: int, device: torch.device) -> dict[str, Callable[[torch.Tensor], torch.Tensor]]:
    """Scalar test functions of a tensor with n elements, with non-trivial Hessians."""
    a = (torch.randn(5, n, dtype=torch.float64) * 0.7).to(device)
    q = torch.randn(n, n, dtype=torch.float64).to(device)
    return {
        "f(x) = sum(sin(x) * x**2)": lambda x: (x.sin() * x.pow(2)).sum(),
        "f(x) = logsumexp(A @ x)": lambda x: torch.logsumexp(a @ x.reshape(-1), dim=0),
        "f(x) = x @ Q @ x / 2 + sum(x**4) / 10": lambda x: (
            x.reshape(-1) @ q @ x.reshape(-1) / 2 + x.pow(4).sum() / 10
        ),
    }


def _hessian_times(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, v: torch.Tensor):
    hessian = torch.autograd.functional.hessian(f, x.detach())
    n = x.numel()
    return (hessian.reshape(n, n) @ v.reshape(n)).reshape(x.shape)


def _call_hvp(learner: ModuleType, f, x: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
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


def test_hvp(learner: ModuleType, device: torch.device) -> None:
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
        for name, f in _functions(x.numel(), device).items():
            expected = _hessian_times(f, x, v)
            got = _call_hvp(learner, f, x, v)
            leaf = x.detach().requires_grad_()
            accumulated = torch.autograd.grad(f(leaf), leaf)[0] + expected
            hint = (
                "that is the gradient plus H v: backward() adds into .grad, so the second "
                "backward added H v to the first gradient. torch.autograd.grad returns the "
                "gradient without touching .grad"
                if torch.allclose(plain(got, "hvp(f, x, v)"), accumulated)
                else "H v is the gradient of (g * v).sum() with respect to x, where g = df/dx"
            )
            assert_close(
                got,
                expected,
                what="hvp(f, x, v)",
                inputs=f"{name}, x of shape {tuple(x.shape)}",
                hint=hint,
            )


def test_hvp_leaves_grad_alone(learner: ModuleType, device: torch.device) -> None:
    """hvp leaves x.grad as it was"""
    torch.manual_seed(1)
    x = (torch.randn(5, dtype=torch.float64) * 1.2).to(device).requires_grad_()
    stale = torch.randn(5, dtype=torch.float64).to(device)
    x.grad = stale.clone()
    v = torch.randn(5, dtype=torch.float64).to(device)
    f = next(iter(_functions(5, device).values()))
    _call_hvp(learner, f, x, v)
    assert x.grad is not None and torch.equal(x.grad, stale), (
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


def test_penalty_value(learner: ModuleType, device: torch.device) -> None:
    """gradient_penalty equals mean((||d critic(x)_i / d x_i|| - 1)**2)"""
    torch.manual_seed(2)
    for n in (1, 5):
        weights = _weights(device)
        x = _samples(n, device)
        g = _input_grads(weights, x)
        expected = ((g.norm(dim=1) - 1) ** 2).mean()
        got = learner.gradient_penalty(_Critic(weights, as_parameters=True), x)
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


def test_penalty_trains_critic(learner: ModuleType, device: torch.device) -> None:
    """gradient_penalty backpropagates into the critic's weights"""
    torch.manual_seed(3)
    weights = _weights(device, torch.float64)
    x = _samples(4, device, torch.float64)
    leaves = {k: w.clone().requires_grad_(k != "b2") for k, w in weights.items()}
    penalty = learner.gradient_penalty(_Critic(leaves, as_parameters=False), x)
    assert isinstance(penalty, torch.Tensor) and penalty.requires_grad, (
        "gradient_penalty(critic, x) does not require grad, so the critic's weights get no "
        "gradient from it and the penalty trains nothing. The input gradient was computed "
        "without create_graph=True: autograd did not record how it depends on the weights"
    )

    def penalty_of(w1: torch.Tensor, b1: torch.Tensor, w2: torch.Tensor) -> torch.Tensor:
        critic = _Critic({"w1": w1, "b1": b1, "w2": w2, "b2": weights["b2"]}, False)
        return learner.gradient_penalty(critic, x)

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


def test_penalty_leaves_grad_alone(learner: ModuleType, device: torch.device) -> None:
    """gradient_penalty leaves the critic's .grad alone"""
    torch.manual_seed(4)
    critic = _Critic(_weights(device), as_parameters=True)
    learner.gradient_penalty(critic, _samples(3, device))
    touched = [name for name, p in critic.named_parameters() if p.grad is not None]
    assert not touched, (
        f"after gradient_penalty, the critic's {', '.join(touched)} have a .grad: the inner "
        "gradient was computed with backward(), which also wrote d critic / d weights into "
        "the critic's .grad, and the next optimizer step would apply it. Use "
        "torch.autograd.grad(..., create_graph=True), which only returns the gradient"
    )
