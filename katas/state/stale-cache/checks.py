"""Hidden checks for stale-cache: ``Whitened(dim)`` follows the weight that
``load_state_dict`` loads, alone and nested, keeps its cache out of state_dict, and survives
``copy.deepcopy`` and ``.double()``."""

import re
from typing import Any

import torch

from trainer.checks import Remote, assert_close, assert_same_names
from trainer.errors import LearnerRaised

DIMS = [4, 1]
TOL = {"rtol": 1e-4, "atol": 1e-5}  # a float32 inverse, against the float64 one
REFRESH = (
    "load_state_dict copies the new weight in place and leaves anything computed from the "
    "old one as it was. Recompute the cache after loading, in a hook registered with "
    "register_load_state_dict_post_hook (or an override of _load_from_state_dict), which "
    "load_state_dict runs wherever the layer sits; or invert in forward"
)


def _weight(dim: int, seed: int) -> torch.Tensor:
    """A trained weight: well conditioned, far from the identity the layers start near."""
    generator = torch.Generator().manual_seed(seed)
    w = torch.randn(dim, dim, generator=generator) * 0.4
    return w + torch.diag(torch.rand(dim, generator=generator) + 1.2) * torch.sign(
        torch.randn(dim, generator=generator)
    )


def _expected(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """x @ inv(weight).T, computed in float64 and given x's dtype."""
    return (x.double() @ torch.linalg.inv(weight.double()).T).to(x.dtype)


def _x(batch: int, dim: int, seed: int, device: torch.device) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return (torch.randn(batch, dim, generator=generator) * 2 + 0.5).to(device)


def _layer(learner: Any, remote: Remote, dim: int, device: torch.device) -> Any:
    remote.torch.manual_seed(dim + 100)
    return learner.Whitened(dim).to(device)


def _first_lines(exc: BaseException) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).strip().splitlines()
    return " ".join(line.strip() for line in text[:3])[:400].rstrip(".")


def _load(model: Any, state: dict[str, torch.Tensor], what: str) -> None:
    try:
        model.load_state_dict(state)
    except LearnerRaised as exc:
        raise AssertionError(
            f"{what}.load_state_dict(a checkpoint with the keys {', '.join(state)}) raised "
            f"{exc.short_type}: {_first_lines(exc)}. Checkpoints hold only the weight: a "
            "cache registered as a persistent buffer (or a parameter) becomes a key that "
            "every checkpoint must have. Register it with persistent=False"
        ) from None


def _outputs(layer: Any, weight: torch.Tensor, what: str, device: torch.device, seed: int) -> None:
    dim = weight.shape[0]
    for batch in (1, 3):
        x = _x(batch, dim, seed + batch, device)
        assert_close(
            layer(x),
            _expected(x, weight),
            what=what,
            inputs=f"x of shape ({batch}, {dim}), after loading a new weight",
            hint=REFRESH,
            **TOL,
        )


def test_state_dict(learner: Any, remote: Remote, device: torch.device) -> None:
    """state_dict() holds only weight: the cache stays out of checkpoints"""
    for dim in DIMS:
        assert_same_names(
            list(_layer(learner, remote, dim, device).state_dict()),
            ["weight"],
            what=f"the keys of Whitened({dim}).state_dict()",
            hint="The cache is derived from weight: register it with persistent=False, so "
            "checkpoints saved before it existed (and after) hold only weight",
        )


def test_load_alone(learner: Any, remote: Remote, device: torch.device) -> None:
    """after load_state_dict, the outputs follow the loaded weight, also after a second load"""
    for dim in DIMS:
        layer = _layer(learner, remote, dim, device)
        for round_, seed in enumerate((1, 2), start=1):
            weight = _weight(dim, seed * 10 + dim).to(device)
            _load(layer, {"weight": weight}, f"Whitened({dim})")
            which = "first" if round_ == 1 else "second"
            _outputs(
                layer, weight, f"Whitened({dim})(x) after its {which} load_state_dict", device, seed
            )


def test_load_nested(learner: Any, remote: Remote, device: torch.device) -> None:
    """inside a model, the layer follows the weight that model.load_state_dict loads"""
    for dim in DIMS:
        remote.torch.manual_seed(dim)
        model = remote.torch.nn.Sequential(
            remote.torch.nn.Linear(dim, dim), learner.Whitened(dim)
        ).to(device)
        generator = torch.Generator().manual_seed(30 + dim)
        linear_w = torch.randn(dim, dim, generator=generator).to(device)
        linear_b = torch.randn(dim, generator=generator).to(device)
        weight = _weight(dim, 40 + dim).to(device)
        state = {"0.weight": linear_w, "0.bias": linear_b, "1.weight": weight}
        _load(model, state, f"nn.Sequential(nn.Linear({dim}, {dim}), Whitened({dim}))")
        for batch in (1, 3):
            x = _x(batch, dim, 50 + batch, device)
            hidden = x @ linear_w.T + linear_b
            assert_close(
                model(x),
                _expected(hidden, weight),
                what=f"nn.Sequential(nn.Linear, Whitened({dim}))(x) after model.load_state_dict",
                inputs=f"x of shape ({batch}, {dim})",
                hint=REFRESH + ". Whitened.load_state_dict itself is not called here: the "
                "Sequential's load_state_dict does the loading",
                **TOL,
            )


def test_deepcopy(learner: Any, remote: Remote, device: torch.device) -> None:
    """after loading, copy.deepcopy(layer) works and computes the same outputs"""
    for dim in DIMS:
        layer = _layer(learner, remote, dim, device)
        weight = _weight(dim, 60 + dim).to(device)
        _load(layer, {"weight": weight}, f"Whitened({dim})")
        try:
            copied = remote.module("copy").deepcopy(layer)
        except LearnerRaised as exc:
            raise AssertionError(
                f"copy.deepcopy(Whitened({dim})) after load_state_dict raised "
                f"{exc.short_type}: {_first_lines(exc)}. The cache was computed from the "
                "weight, a Parameter, with grad mode on, so it holds an autograd graph, and "
                "deepcopy refuses tensors that are not graph leaves. Compute it under "
                "torch.no_grad()"
            ) from None
        _outputs(copied, weight, f"copy.deepcopy(Whitened({dim}))(x) after loading", device, 70)


def test_double(learner: Any, remote: Remote, device: torch.device) -> None:
    """after loading, layer.double() gives float64 outputs that follow the weight"""
    for dim in DIMS:
        layer = _layer(learner, remote, dim, device)
        weight = _weight(dim, 80 + dim).to(device)
        _load(layer, {"weight": weight}, f"Whitened({dim})")
        layer = layer.double().to(device)
        for batch in (1, 3):
            x = _x(batch, dim, 90 + batch, device).double()
            try:
                got = layer(x)
            except LearnerRaised as exc:
                raise AssertionError(
                    f"Whitened({dim}).double()(x) with a float64 x of shape ({batch}, {dim}) "
                    f"raised {exc.short_type}: {_first_lines(exc)}. .double() and .to() "
                    "convert parameters and registered buffers only: keep the cache in a "
                    "buffer (register_buffer(..., persistent=False)), not a plain attribute"
                ) from None
            assert_close(
                got,
                _expected(x, weight.double()),
                what=f"Whitened({dim}).double()(x) after loading",
                inputs=f"float64 x of shape ({batch}, {dim})",
                hint=REFRESH,
                rtol=1e-5,
                atol=1e-6,
            )
