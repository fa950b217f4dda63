"""Hidden checks for optional-bias: ScaledLinear(..., bias=False) has no bias at all."""

import math
from typing import Any

import torch
from torch import nn

from trainer.checks import Remote, assert_close, assert_same_names, plain, same_device

# (in_features, out_features, batch shape): an output width of 1, batch 1, a 3-D input
CASES = [(5, 3, (4,)), (7, 1, (1,)), (6, 9, (2, 3))]
F32 = {"rtol": 1e-5, "atol": 1e-6}  # x @ W.T / sqrt(n) and F.linear(x, W / sqrt(n)) differ by ulps
NONE_BIAS = (
    "Register the absent bias as None, as nn.Linear does: self.register_parameter('bias', None)"
)


def _call(n_in: int, n_out: int, bias: bool) -> str:
    return f"ScaledLinear({n_in}, {n_out}, bias={bias})"


def _reference(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    out = x @ weight.T / math.sqrt(weight.shape[1])
    return out if bias is None else out + bias


def _input(n_in: int, batch: tuple[int, ...], device: torch.device) -> torch.Tensor:
    return (torch.randn(*batch, n_in) * 2 - 0.5).to(device)


def test_forward(learner: Any, remote: Remote, device: torch.device) -> None:
    """layer(x) is x @ weight.T / sqrt(in_features) (+ bias)"""
    torch.manual_seed(0)
    for n_in, n_out, batch in CASES:
        for bias in (True, False):
            call = _call(n_in, n_out, bias)
            layer = learner.ScaledLinear(n_in, n_out, bias=bias).to(device)
            weight = plain(layer.weight, f"{call}.weight")
            b = None
            if bias:
                b = plain(layer.bias, f"{call}.bias").clone()
                b.copy_(torch.randn(n_out))  # a trained bias, not the zeros it starts from
                with remote.torch.no_grad():
                    layer.bias.copy_(b)
            x = _input(n_in, batch, device)
            assert_close(
                layer(x),
                _reference(x, weight, b),
                what=f"{call}(x)",
                inputs=f"x of shape {tuple(x.shape)}",
                **F32,
            )


def test_parameter_names(learner: Any, remote: Remote, device: torch.device) -> None:
    """named_parameters() is weight and bias, or only weight with bias=False"""
    for n_in, n_out, _ in CASES:
        for bias in (True, False, None):  # None: the default, bias=True as in nn.Linear
            if bias is None:
                layer = learner.ScaledLinear(n_in, n_out).to(device)
                call = f"ScaledLinear({n_in}, {n_out})"
            else:
                layer = learner.ScaledLinear(n_in, n_out, bias=bias).to(device)
                call = _call(n_in, n_out, bias)
            expected = ["weight"] if bias is False else ["weight", "bias"]
            assert_same_names(
                remote.value(remote.eval("[n for n, _ in layer.named_parameters()]", layer=layer)),
                expected,
                what=f"{call}.named_parameters()",
                hint="With bias=False the layer has no bias parameter at all: a zero Parameter "
                "is trained into a real bias, and even a frozen one is saved in every "
                f"checkpoint. {NONE_BIAS}"
                if bias is False
                else "With bias=True (the default, as in nn.Linear) the bias is an "
                "nn.Parameter the optimizer trains",
            )


def test_bias_is_none(learner: Any, device: torch.device) -> None:
    """with bias=False, layer.bias is None, as in nn.Linear"""
    for n_in, n_out, _ in CASES:
        call = _call(n_in, n_out, False)
        layer = learner.ScaledLinear(n_in, n_out, bias=False).to(device)
        try:
            value = layer.bias
        except AttributeError:
            raise AssertionError(
                f"{call}.bias raised AttributeError, expected None: code such as "
                f"`if m.bias is not None: ...` reads it on every layer. {NONE_BIAS}"
            ) from None
        assert value is None, (
            f"{call}.bias is {_describe(value)}, expected None: a shared init routine such as "
            "`if m.bias is not None: nn.init.constant_(m.bias, 0.01)` writes into it and gives "
            f"the layer a fixed offset. {NONE_BIAS}"
        )


def _describe(value: object) -> str:
    if isinstance(value, torch.Tensor):
        kind = "an nn.Parameter" if isinstance(value, nn.Parameter) else "a tensor"
        return f"{kind} of shape {tuple(value.shape)}"
    remote_type = getattr(value, "_type", None)  # a proxy names its learner-side class
    name = remote_type.rpartition(".")[2] if isinstance(remote_type, str) else type(value).__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def test_linear_checkpoints(learner: Any, remote: Remote, device: torch.device) -> None:
    """state_dict loads strictly from and into nn.Linear of the same shape"""
    torch.manual_seed(1)
    for n_in, n_out, batch in CASES:
        for bias in (True, False):
            call = _call(n_in, n_out, bias)
            linear = nn.Linear(n_in, n_out, bias=bias).to(device)
            layer = learner.ScaledLinear(n_in, n_out, bias=bias).to(device)
            assert_same_names(
                layer.state_dict(),
                linear.state_dict(),
                what=f"the keys of {call}.state_dict()",
                hint="They must match nn.Linear's, or checkpoints do not load with strict=True. "
                "A frozen Parameter or a buffer is still saved"
                + (f". {NONE_BIAS}" if not bias else ""),
            )
            layer.load_state_dict(dict(linear.state_dict()))  # plain data travels
            x = _input(n_in, batch, device)
            assert_close(
                layer(x),
                _reference(x, linear.weight, linear.bias),
                what=f"{call}(x) after loading an nn.Linear checkpoint",
                inputs=f"x of shape {tuple(x.shape)}",
                **F32,
            )
            fresh = nn.Linear(n_in, n_out, bias=bias).to(device)
            saved = remote.value(remote.eval("dict(layer.state_dict())", layer=layer))
            fresh.load_state_dict(saved)


def test_follows_to(learner: Any, device: torch.device) -> None:
    """every tensor the layer uses follows .to(): bfloat16 in, bfloat16 out; .double() works"""
    torch.manual_seed(2)
    for n_in, n_out, batch in CASES:
        for bias in (True, False):
            call = _call(n_in, n_out, bias)
            layer = learner.ScaledLinear(n_in, n_out, bias=bias).to(device, torch.bfloat16)
            x = _input(n_in, batch, device).to(torch.bfloat16)
            try:
                out = plain(layer(x), f"{call}(x)")
            except RuntimeError as exc:
                raise AssertionError(
                    f"after {call}.to({device}, torch.bfloat16), layer(x) raised RuntimeError: "
                    f"{exc} A tensor that forward uses stayed behind: .to() moves registered "
                    f"parameters and buffers only. {NONE_BIAS}"
                ) from None
            assert out.dtype == torch.bfloat16 and same_device(out.device, device), (
                f"after {call}.to({device}, torch.bfloat16), layer(x) for a bfloat16 x is "
                f"{out.dtype} on {out.device}, expected torch.bfloat16 on {device}: forward "
                "mixes in a float32 tensor that .to() did not convert, because it is not "
                "registered (on a GPU, the same tensor stays on the CPU and forward crashes "
                f"with 'Expected all tensors to be on the same device'). {NONE_BIAS}"
            )
            layer = learner.ScaledLinear(n_in, n_out, bias=bias).double().to(device)
            x = _input(n_in, batch, device).double()
            bias_value = None if not bias else plain(layer.bias, f"{call}.bias")
            assert_close(
                layer(x),
                _reference(x, plain(layer.weight), bias_value),
                what=f"{call}.double()(x)",
                inputs=f"float64 x of shape {tuple(x.shape)}",
            )
