"""Hidden checks for buffer: RunningNorm's statistics are buffers, never parameters."""

from typing import Any

import torch

from trainer.checks import (
    Remote,
    assert_close,
    assert_same_names,
    plain,
    same_device,
    sgd_step,
    type_name,
)

STATS = ["running_mean", "running_var"]
F32 = {"rtol": 1e-5, "atol": 1e-6}  # lerp_ and (1 - m) * a + m * b differ by a few ulps
# (num_features, constructor keywords, batch sizes): the defaults, then a non-default momentum
# and an eps large enough to matter; batch 1, one feature
CASES: list[tuple[int, dict[str, float], list[int]]] = [
    (4, {}, [5, 1, 3]),
    (1, {"momentum": 0.3, "eps": 0.5}, [2, 6]),
]
BUFFER = (
    "Keep statistics in buffers: self.register_buffer('running_mean', torch.zeros(n)). "
    "Buffers are saved and moved with the module, but parameters() never yields them"
)


def _call(n: int, kwargs: dict[str, float]) -> str:
    return "RunningNorm(" + ", ".join([str(n)] + [f"{k}={v}" for k, v in kwargs.items()]) + ")"


def _build(learner: Any, n: int, kwargs: dict[str, float], device: torch.device) -> Any:
    return learner.RunningNorm(n, **kwargs).to(device)


def _batch(
    size: int, n: int, device: torch.device, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """Features with their own offsets and spreads, so the statistics are far from 0 and 1."""
    x = torch.randn(size, n, dtype=dtype) * torch.linspace(0.5, 3.0, n, dtype=dtype) + 2.0
    return x.to(device)


def _stat(norm: Any, name: str, call: str) -> torch.Tensor:
    try:
        value = getattr(norm, name)
    except AttributeError:
        raise AssertionError(f"{call}.{name} does not exist. {BUFFER}") from None
    return plain(value, f"{call}.{name}")


def _normalise(
    x: torch.Tensor, mean: torch.Tensor, var: torch.Tensor, kwargs: dict[str, float]
) -> torch.Tensor:
    return (x - mean) / torch.sqrt(var + kwargs.get("eps", 1e-5))


def test_buffers_not_parameters(learner: Any, device: torch.device) -> None:
    """running_mean and running_var are buffers, and RunningNorm has no parameters"""
    for n, kwargs, _ in CASES:
        call = _call(n, kwargs)
        norm = _build(learner, n, kwargs, device)
        params = [name for name, _ in norm.named_parameters()]
        assert not params, (
            f"{call}.named_parameters() yields {params}, expected none: every optimizer built "
            "from model.parameters() receives them, and model.requires_grad_(True) makes "
            f"them trainable, requires_grad=False or not. {BUFFER}"
        )
        buffers = [name for name, _ in norm.named_buffers()]
        missing = [name for name in STATS if name not in buffers]
        assert not missing, (
            f"{call}.named_buffers() yields {buffers}, missing {', '.join(missing)}. {BUFFER}"
        )


def test_state_dict(learner: Any, device: torch.device) -> None:
    """state_dict() holds exactly running_mean and running_var, and loads them back"""
    torch.manual_seed(1)
    for n, kwargs, _ in CASES:
        call = _call(n, kwargs)
        norm = _build(learner, n, kwargs, device)
        assert_same_names(
            norm.state_dict(),
            STATS,
            what=f"the keys of {call}.state_dict()",
            hint="Checkpoints must carry the statistics, or a restored agent sees "
            "unnormalised observations. A buffer registered with persistent=False or a plain "
            "tensor attribute is not saved",
        )
        mean, var = _batch(1, n, device)[0], torch.rand(n).to(device) + 0.5
        norm.load_state_dict({"running_mean": mean, "running_var": var})
        norm.eval()
        x = _batch(3, n, device)
        assert_close(
            norm(x),
            _normalise(x, mean, var, kwargs),
            what=f"{call}(x) in eval mode after load_state_dict",
            inputs=f"x of shape {tuple(x.shape)}",
            **F32,
        )


def test_train_updates(learner: Any, device: torch.device) -> None:
    """in train mode, forward updates the moving averages, then normalises with them"""
    torch.manual_seed(2)
    for n, kwargs, sizes in CASES:
        call = _call(n, kwargs)
        m = kwargs.get("momentum", 0.1)
        norm = _build(learner, n, kwargs, device).train()
        mean, var = torch.zeros(n, device=device), torch.ones(n, device=device)
        for step, size in enumerate(sizes, start=1):
            x = _batch(size, n, device)
            out = norm(x)
            mean = (1 - m) * mean + m * x.mean(0)
            var = (1 - m) * var + m * x.var(0, unbiased=False)
            where = f"x of shape {tuple(x.shape)}, training step {step}"
            assert_close(
                _stat(norm, "running_mean", call),
                mean,
                what=f"{call}.running_mean",
                inputs=where,
                hint="running_mean = (1 - momentum) * running_mean + momentum * x.mean(0)",
                **F32,
            )
            assert_close(
                _stat(norm, "running_var", call),
                var,
                what=f"{call}.running_var",
                inputs=where,
                hint="running_var = (1 - momentum) * running_var "
                "+ momentum * x.var(0, unbiased=False)",
                **F32,
            )
            assert_close(
                out,
                _normalise(x, mean, var, kwargs),
                what=f"{call}(x) in train mode",
                inputs=where,
                hint="normalise with the updated running statistics, not the batch's own: "
                "(x - running_mean) / sqrt(running_var + eps), with the eps it was built with",
                **F32,
            )


def test_eval_frozen(learner: Any, device: torch.device) -> None:
    """in eval mode, forward normalises with the statistics and leaves them bitwise unchanged"""
    torch.manual_seed(3)
    for n, kwargs, sizes in CASES:
        call = _call(n, kwargs)
        norm = _build(learner, n, kwargs, device).train()
        for size in sizes:
            norm(_batch(size, n, device))
        norm.eval()
        before = {name: _stat(norm, name, call).clone() for name in STATS}
        for size in (4, 1):
            x = _batch(size, n, device) * 3 - 1  # a different distribution: would move them
            out = norm(x)
            for name in STATS:
                assert torch.equal(_stat(norm, name, call), before[name]), (
                    f"{call}.{name} changed in eval mode (x of shape {tuple(x.shape)}): "
                    "statistics are updated only while self.training is True"
                )
            assert_close(
                out,
                _normalise(x, before["running_mean"], before["running_var"], kwargs),
                what=f"{call}(x) in eval mode",
                inputs=f"x of shape {tuple(x.shape)}",
                **F32,
            )


def test_no_history(learner: Any, device: torch.device) -> None:
    """the statistics carry no autograd history, so every training step's backward works"""
    torch.manual_seed(4)
    n, kwargs, _ = CASES[0]
    call = _call(n, kwargs)
    norm = _build(learner, n, kwargs, device).train()
    for step in (1, 2, 3):
        x = _batch(5, n, device).requires_grad_()
        out = norm(x)
        for name in STATS:
            value = getattr(norm, name)
            assert not value.requires_grad and value.grad_fn is None, (
                f"after training step {step} with an x that requires grad, {call}.{name} "
                f"requires grad (grad_fn={type_name(value.grad_fn)}): the update was "
                "recorded by autograd, so each batch's graph stays attached to the "
                "statistics. Update them under torch.no_grad(), or from x.detach()"
            )
        out.pow(2).sum().backward()


def test_unfreeze_and_step(learner: Any, remote: Remote, device: torch.device) -> None:
    """requires_grad_(True) and an optimizer step on parameters() leave the statistics alone"""
    torch.manual_seed(5)
    remote.torch.manual_seed(5)  # the Linear's initial weights, drawn where the model lives
    n, kwargs, _ = CASES[0]
    call = _call(n, kwargs)
    model = remote.eval(
        "nn.Sequential(nn.Linear(3, n), norm).to(device).train()",
        n=n,
        norm=learner.RunningNorm(n),
        device=device,
    )
    model.requires_grad_(True)  # fine-tuning: unfreeze everything
    params = list(model.parameters())
    out = model(_batch(6, 3, device))
    after_forward = {name: _stat(model[1], name, call).clone() for name in STATS}
    (out * torch.randn_like(out)).sum().backward()
    sgd_step(params, lr=0.5)
    for name in STATS:
        changed = not torch.equal(_stat(model[1], name, call), after_forward[name])
        assert not changed, (
            f"after model.requires_grad_(True) and one SGD step on model.parameters(), "
            f"{call}.{name} changed: the optimizer trained a statistic. "
            "nn.Parameter(..., requires_grad=False) is frozen only until something unfreezes "
            f"the model. {BUFFER}"
        )


def test_double_and_to(learner: Any, device: torch.device) -> None:
    """norm.double() and .to(device) convert the statistics"""
    torch.manual_seed(6)
    n, kwargs, _ = CASES[0]
    call = _call(n, kwargs)
    norm = learner.RunningNorm(n).double().to(device).train()
    stale = [
        f"{name} ({value.dtype}, {value.device})"
        for name in STATS
        for value in [_stat(norm, name, call)]
        if value.dtype != torch.float64 or not same_device(value.device, device)
    ]
    assert not stale, (
        f"after {call}.double().to({device}), these were not converted: {', '.join(stale)}. "
        f"Module.double() and .to() convert registered parameters and buffers only. {BUFFER}"
    )
    x = _batch(5, n, device, torch.float64)
    out = norm(x)
    mean, var = 0.1 * x.mean(0), 0.9 + 0.1 * x.var(0, unbiased=False)
    assert_close(out, _normalise(x, mean, var, kwargs), what=f"{call}.double()(x) in train mode")
