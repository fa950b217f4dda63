"""Hidden checks for batchnorm: ``MyBatchNorm1d`` must keep its running statistics like
``nn.BatchNorm1d``: buffers updated in train mode only, without autograd history."""

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from trainer.checks import Remote, assert_close, assert_same_names, plain, type_name

F64 = torch.float64
BUFFERS = ["running_mean", "running_var", "num_batches_tracked"]
# (num_features C, batch size N, constructor keywords): C = 1, the smallest batch N = 2,
# and a non-default momentum and eps
CASES: list[tuple[int, int, dict[str, float]]] = [
    (1, 2, {}),
    (5, 7, {}),
    (3, 4, {"momentum": 0.25, "eps": 1e-3}),
]
STEPS = 5


def _call(c: int, kwargs: dict[str, float]) -> str:
    return "MyBatchNorm1d(" + ", ".join([str(c)] + [f"{k}={v}" for k, v in kwargs.items()]) + ")"


def _assign(model: nn.Module, values: dict[str, torch.Tensor]) -> None:
    """``model.<name>.copy_(value)`` for each, without autograd (also defined in the learner
    process, for the learner's module)."""
    with torch.no_grad():
        for name, value in values.items():
            getattr(model, name).copy_(value)


def _models(
    learner: Any, remote: Remote, c: int, kwargs: dict[str, float], device: torch.device
) -> tuple[Any, nn.BatchNorm1d]:
    """The learner's module and nn.BatchNorm1d, float64, with the same random weight and bias."""
    mine = learner.MyBatchNorm1d(c, **kwargs).double().to(device)
    ref = nn.BatchNorm1d(c, **kwargs).double().to(device)
    weight = (torch.rand(c, dtype=F64) * 1.5 + 0.25).to(device)
    bias = torch.randn(c, dtype=F64).to(device)
    remote.define(_assign)(mine, {"weight": weight, "bias": bias})
    _assign(ref, {"weight": weight, "bias": bias})
    return mine, ref


def _batch(n: int, c: int, device: torch.device, step: int = 0) -> torch.Tensor:
    """(n, c) float64 with a different mean and scale per channel; non-contiguous on odd steps."""
    scale = torch.rand(c, 1, dtype=F64) * 3 + 0.5
    shift = torch.randn(c, 1, dtype=F64) * 2
    if step % 2:
        return (torch.randn(c, n, dtype=F64) * scale + shift).to(device).t()
    return (torch.randn(n, c, dtype=F64) * scale.t() + shift.t()).to(device)


def _there(remote: Remote, x: torch.Tensor, requires_grad: bool = False) -> Any:
    """A leaf copy of the batch ``x`` in the learner process, with its layout: a transposed
    batch stays non-contiguous there (tensors travel contiguous)."""
    if x.is_contiguous():
        return remote.tensor(x.detach().clone().requires_grad_(requires_grad))
    if x.dim() != 2 or not x.t().is_contiguous():
        raise TypeError("_there: only contiguous tensors and transposed matrices keep their layout")
    return remote.eval("x.t().requires_grad_(g)", x=x.detach().t(), g=requires_grad)


def _train(
    remote: Remote, mine: Any, ref: nn.Module, n: int, c: int, device: torch.device
) -> list[torch.Tensor]:
    mine.train()
    ref.train()
    batches = [_batch(n, c, device, step) for step in range(STEPS)]
    for x in batches:
        mine(_there(remote, x))
        ref(x)
    return batches


def _running(
    batches: list[torch.Tensor], init: float, momentum: float, stat: Callable[..., torch.Tensor]
) -> torch.Tensor:
    """A running average updated as running = (1 - momentum) * running + momentum * stat."""
    running = torch.full_like(batches[0][0], init)
    for x in batches:
        running = (1 - momentum) * running + momentum * stat(x)
    return running


def _matches(got: torch.Tensor, alternative: torch.Tensor) -> bool:
    """Whether the learner's value equals what a known mistake gives (to name the mistake)."""
    return (
        got.shape == alternative.shape
        and got.dtype == alternative.dtype
        and got.device == alternative.device
        and torch.allclose(got, alternative)
    )


def _buffer(model: Any, name: str, call: str) -> torch.Tensor:
    value = getattr(model, name, None)
    return plain(value, f"{call}.{name}")


def test_registered(learner: Any, device: torch.device) -> None:
    """weight and bias are parameters; the running statistics are buffers"""
    for c, _, kwargs in CASES:
        call = _call(c, kwargs)
        model = learner.MyBatchNorm1d(c, **kwargs).to(device)
        assert_same_names(
            [name for name, _ in model.named_parameters()],
            ["weight", "bias"],
            what=f"{call}.named_parameters()",
            hint="Running statistics are not trained: as Parameters (even with "
            "requires_grad=False) they are handed to the optimizer, and weight decay shrinks "
            "them. Use register_buffer",
        )
        assert_same_names(
            [name for name, _ in model.named_buffers()],
            BUFFERS,
            what=f"{call}.named_buffers()",
            hint="A plain tensor attribute is not a buffer: it is missing from state_dict() "
            "and stays behind on .to(device) and .double(). Use register_buffer",
        )
        assert_same_names(
            model.state_dict(),
            nn.BatchNorm1d(c).state_dict(),
            what=f"the keys of {call}.state_dict()",
            hint="they must equal nn.BatchNorm1d's, so checkpoints load into either module",
        )


def test_train_mode(learner: Any, remote: Remote, device: torch.device) -> None:
    """in train mode, the output and its gradients match nn.BatchNorm1d"""
    torch.manual_seed(1)
    for c, n, kwargs in CASES:
        call = _call(c, kwargs)
        mine, ref = _models(learner, remote, c, kwargs, device)
        for step in (0, 1):  # contiguous, then a transposed (non-contiguous) batch
            x = _batch(n, c, device, step)
            inputs = f"float64 x of shape {(n, c)}" + (", non-contiguous" if step else "")
            x_mine, x_ref = _there(remote, x, requires_grad=True), x.clone().requires_grad_()
            out = mine.train()(x_mine)
            expected = ref.train()(x_ref)
            weight, bias = ref.weight.detach(), ref.bias.detach()
            unbiased = (x - x.mean(0)) / torch.sqrt(x.var(0) + ref.eps) * weight + bias
            biased_hint = (
                "You normalised with the unbiased variance (torch.var divides by N - 1 by "
                "default); the output uses the biased one (unbiased=False, divide by N)"
                if _matches(plain(out, f"{call}(x)"), unbiased)
                else "In train mode, normalise with the batch's mean and biased variance"
            )
            assert_close(
                out, expected, what=f"{call}(x) in train mode", inputs=inputs, hint=biased_hint
            )
            assert out.requires_grad, (
                f"{call}(x) in train mode does not require grad ({inputs}): backward cannot "
                "reach x, weight or bias"
            )
            upstream = torch.randn(n, c, dtype=F64).to(device)
            out.backward(upstream)
            expected.backward(upstream)
            no_graph = (
                "The batch mean and variance depend on x, so the gradient must flow through "
                "them: compute them with autograd on, from x itself (not under torch.no_grad() "
                "or from x.detach()); only the running-statistics update is kept out of autograd"
            )
            x_grad = x_mine.grad
            assert x_grad is not None, (
                f"after {call}(x).backward(g) in train mode, x.grad is None ({inputs}): the "
                "output is not connected to x"
            )
            assert_close(
                x_grad,
                x_ref.grad,
                what=f"x.grad after {call}(x).backward(g)",
                inputs=f"{inputs} and a random upstream gradient g",
                hint=no_graph,
            )
            for name in ("weight", "bias"):
                got = getattr(mine, name).grad
                assert got is not None, f"{call}.{name}.grad is None after backward ({inputs})"
                assert_close(
                    got,
                    getattr(ref, name).grad,
                    what=f"{call}.{name}.grad",
                    inputs=f"{inputs} and a random upstream gradient g",
                )
                getattr(mine, name).grad = None
                getattr(ref, name).grad = None


def test_running_mean(learner: Any, remote: Remote, device: torch.device) -> None:
    """after 5 training steps, running_mean matches nn.BatchNorm1d"""
    torch.manual_seed(2)
    for c, n, kwargs in CASES:
        call = _call(c, kwargs)
        mine, ref = _models(learner, remote, c, kwargs, device)
        batches = _train(remote, mine, ref, n, c, device)
        got = _buffer(mine, "running_mean", call)
        momentum = kwargs.get("momentum", 0.1)
        flipped = _running(batches, 0.0, 1 - momentum, lambda x: x.mean(0))
        hint = (
            "momentum is the weight of the NEW batch in PyTorch: running = (1 - momentum) * "
            "running + momentum * batch_mean. You weighted the old value by momentum, as "
            "Keras does"
            if _matches(got, flipped)
            else "Expected running_mean = (1 - momentum) * running_mean + momentum * "
            "batch_mean after every training batch, starting from zeros"
        )
        assert_close(
            got,
            ref.running_mean,
            what=f"{call}.running_mean",
            inputs=f"{STEPS} training batches of shape {(n, c)}",
            hint=hint,
        )


def test_running_var(learner: Any, remote: Remote, device: torch.device) -> None:
    """after 5 training steps, running_var matches nn.BatchNorm1d"""
    torch.manual_seed(3)
    for c, n, kwargs in CASES:
        call = _call(c, kwargs)
        mine, ref = _models(learner, remote, c, kwargs, device)
        batches = _train(remote, mine, ref, n, c, device)
        got = _buffer(mine, "running_var", call)
        momentum = kwargs.get("momentum", 0.1)
        biased = _running(batches, 1.0, momentum, lambda x: x.var(0, unbiased=False))
        hint = (
            "running_var keeps the UNBIASED batch variance (divide by N - 1), although the "
            "output is normalised with the biased one (divide by N): multiply it by "
            "N / (N - 1) before updating running_var"
            if _matches(got, biased)
            else "Expected running_var = (1 - momentum) * running_var + momentum * "
            "unbiased_batch_var after every training batch, starting from ones"
        )
        assert_close(
            got,
            ref.running_var,
            what=f"{call}.running_var",
            inputs=f"{STEPS} training batches of shape {(n, c)}",
            hint=hint,
        )


def test_num_batches_tracked(learner: Any, remote: Remote, device: torch.device) -> None:
    """num_batches_tracked counts the training batches"""
    torch.manual_seed(4)
    c, n, kwargs = CASES[1]
    call = _call(c, kwargs)
    mine, ref = _models(learner, remote, c, kwargs, device)
    _train(remote, mine, ref, n, c, device)
    assert_close(
        _buffer(mine, "num_batches_tracked", call),
        ref.num_batches_tracked,
        what=f"{call}.num_batches_tracked",
        inputs=f"{STEPS} training batches",
        hint="Add 1 after every training batch",
    )


def test_eval_output(learner: Any, remote: Remote, device: torch.device) -> None:
    """in eval mode, the output is normalised with the running statistics"""
    torch.manual_seed(5)
    for c, _, kwargs in CASES:
        call = _call(c, kwargs)
        mine, ref = _models(learner, remote, c, kwargs, device)
        running_mean = torch.randn(c, dtype=F64).to(device)
        running_var = (torch.rand(c, dtype=F64) * 2 + 0.05).to(device)
        running = {"running_mean": running_mean, "running_var": running_var}
        remote.define(_assign)(mine, running)
        _assign(ref, running)
        mine.eval()
        for n, step in [(1, 0), (6, 1)]:  # a single example, and a non-contiguous batch
            x = _batch(n, c, device, step)
            expected = F.batch_norm(
                x, running_mean, running_var, ref.weight, ref.bias, training=False, eps=ref.eps
            )
            assert_close(
                mine(_there(remote, x)),
                expected,
                what=f"{call}(x) in eval mode",
                inputs=f"x of shape {(n, c)} and random running statistics",
                hint="In eval mode, normalise with running_mean and running_var as they are, "
                "not with the batch statistics (a single example has none), and do not update "
                "them first",
            )


def test_eval_leaves_buffers(learner: Any, remote: Remote, device: torch.device) -> None:
    """eval mode leaves every buffer bitwise unchanged"""
    torch.manual_seed(6)
    for c, n, kwargs in CASES:
        call = _call(c, kwargs)
        mine, ref = _models(learner, remote, c, kwargs, device)
        _train(remote, mine, ref, n, c, device)
        mine.eval()
        before = {name: _buffer(mine, name, call).clone() for name in BUFFERS}
        for step in range(3):
            mine(_there(remote, _batch(n + step, c, device, step)))
        changed = [
            name for name in BUFFERS if not torch.equal(_buffer(mine, name, call), before[name])
        ]
        assert not changed, (
            f"after {call}.eval() and three forward passes, {', '.join(changed)} changed: "
            "running statistics are updated in train mode only (if self.training). Evaluating "
            "must not move them, or every validation run changes the model"
        )


def test_no_history(learner: Any, remote: Remote, device: torch.device) -> None:
    """the running statistics carry no autograd history"""
    torch.manual_seed(7)
    for c, n, kwargs in CASES:
        call = _call(c, kwargs)
        mine, _ = _models(learner, remote, c, kwargs, device)
        mine.train()
        for step in range(3):
            x = _there(remote, _batch(n, c, device, step), requires_grad=True)
            (mine(x) * torch.randn(n, c, dtype=F64).to(device)).sum().backward()
        for name in BUFFERS:
            buffer = getattr(mine, name)
            assert isinstance(buffer, torch.Tensor) and not buffer.requires_grad, (
                f"after 3 training steps on inputs that require grad, {call}.{name} has "
                f"requires_grad=True (grad_fn={type_name(buffer.grad_fn)}): its update was "
                "recorded by autograd, so every step's graph stays reachable from the buffer "
                "(memory grows each step) and copy.deepcopy(model) fails. Update the running "
                "statistics under torch.no_grad() (or from detached statistics), in place"
            )
        try:
            remote.module("copy").deepcopy(mine)  # where the module lives
        except RuntimeError as exc:
            raise AssertionError(f"copy.deepcopy({call}) after training failed: {exc}") from None
