"""Hidden checks for param-not-tensor: ``Scale.alpha`` must be a trainable ``nn.Parameter``."""

from typing import Any

import torch

from trainer.checks import (
    Remote,
    assert_close,
    assert_same_names,
    plain,
    same_device,
    sgd_step,
)


def _rand(
    shape: tuple[int, ...], device: torch.device, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    return (torch.randn(shape, dtype=dtype) * 3 + 0.5).to(device)


def test_forward(learner: Any, device: torch.device) -> None:
    """Scale(init)(x) returns x * init"""
    torch.manual_seed(0)
    # inits are exact in float32, so x * alpha and x * init agree bit for bit
    for init, shape in [(1.0, (1,)), (0.5, (3, 5)), (-1.75, (2, 4, 7))]:
        model = learner.Scale() if init == 1.0 else learner.Scale(init)
        model = model.to(device)
        call = "Scale()" if init == 1.0 else f"Scale({init})"
        alpha = plain(model.alpha, f"{call}.alpha")
        assert alpha.numel() == 1, (
            f"{call}.alpha has shape {tuple(alpha.shape)}, expected a single number"
        )
        assert float(alpha) == init, f"{call}.alpha starts at {float(alpha)}, expected {init}"
        x = _rand(shape, device)
        assert_close(model(x), x * init, what=f"{call}(x)", inputs=f"x of shape {shape}")


def test_int_init(learner: Any, device: torch.device) -> None:
    """Scale(2), with an int init, starts a floating-point alpha at 2.0"""
    torch.manual_seed(5)
    try:
        model = learner.Scale(2).to(device)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0].rstrip(".")
        raise AssertionError(
            f"Scale(2) raised RuntimeError: {first}. torch.tensor(2) is an int64 tensor, and "
            "only floating-point tensors can require grad (or be trained by gradient steps): "
            "make alpha from float(init)"
        ) from None
    alpha = plain(model.alpha, "Scale(2).alpha")
    assert alpha.is_floating_point() and alpha.numel() == 1 and float(alpha) == 2.0, (
        f"Scale(2).alpha is a {alpha.dtype} tensor of shape {tuple(alpha.shape)} holding "
        f"{alpha.flatten().tolist()}, expected one floating-point number, 2.0: make alpha "
        "from float(init)"
    )
    x = _rand((3, 4), device)
    assert_close(model(x), x * 2.0, what="Scale(2)(x)", inputs="x of shape (3, 4)")


def test_registered(learner: Any, remote: Remote, device: torch.device) -> None:
    """alpha is one of Scale's parameters"""
    model = learner.Scale(0.5).to(device)
    names, buffers = remote.value(
        remote.eval(
            "([n for n, _ in m.named_parameters()], [n for n, _ in m.named_buffers()])", m=model
        )
    )
    if "alpha" in buffers:
        why = (
            "You registered alpha as a buffer: buffers move and save with the model, "
            "but the optimizer never trains them"
        )
    else:
        why = (
            "A module attribute holding a plain torch.Tensor is not registered, even with "
            "requires_grad=True, so model.parameters() never hands it to the optimizer"
        )
    assert_same_names(names, ["alpha"], what="Scale(0.5).named_parameters()", hint=why)


def _loss(model: Any, call: str, x: torch.Tensor, w: torch.Tensor) -> Any:
    out = model(x)
    assert isinstance(out, torch.Tensor) and out.requires_grad, (
        f"{call}(x) does not require grad, so backward cannot reach alpha: the output must be "
        "computed from alpha with tensor operations (a Python number from .item() or float(), "
        "or a .detach(), cuts it off), and alpha must require grad"
    )
    return (out * w).sum()


def test_gets_gradient(learner: Any, device: torch.device) -> None:
    """alpha requires grad and backward fills alpha.grad"""
    torch.manual_seed(1)
    model = learner.Scale(1.5).to(device)
    assert model.alpha.requires_grad, (
        "Scale(1.5).alpha.requires_grad is False, expected True: autograd computes no "
        "gradient for it, so no optimizer can change it"
    )
    x, w = _rand((4, 3), device), _rand((4, 3), device)
    _loss(model, "Scale(1.5)", x, w).backward()
    grad = model.alpha.grad
    assert grad is not None, "after loss.backward(), alpha.grad is None, expected a gradient"
    assert_close(
        plain(grad, "alpha.grad").reshape(()),
        (x * w).sum(),
        what="alpha.grad for loss = (Scale(1.5)(x) * w).sum()",
        inputs="x and w of shape (4, 3)",
        rtol=1e-5,
    )


def test_sgd_step(learner: Any, device: torch.device) -> None:
    """one SGD step on model.parameters() moves alpha"""
    torch.manual_seed(2)
    model = learner.Scale(-0.75).to(device)
    params = list(model.parameters())
    assert params, (
        "Scale(-0.75).parameters() is empty, so an optimizer built from it has nothing to train"
    )
    x, w = _rand((5, 2), device), _rand((5, 2), device)
    _loss(model, "Scale(-0.75)", x, w).backward()
    sgd_step(params, lr=0.1)
    after = plain(model.alpha, "alpha").reshape(())
    assert float(after) != -0.75, (
        "alpha is still -0.75 after an SGD step on model.parameters(): it got no update"
    )
    expected = torch.tensor(-0.75, device=device) - 0.1 * (x * w).sum()
    assert_close(after, expected, what="alpha after one SGD step (lr=0.1)", rtol=1e-5)


def test_moves_with_module(learner: Any, device: torch.device) -> None:
    """model.double() and model.to(device) convert alpha with the module"""
    torch.manual_seed(3)
    model = learner.Scale(0.5).double().to(device)
    alpha = model.alpha
    assert alpha.dtype == torch.float64, (
        f"after Scale(0.5).double(), alpha has dtype {alpha.dtype}, expected torch.float64: "
        "Module.double() and .to() convert only registered parameters and buffers"
    )
    assert same_device(alpha.device, device), (
        f"after Scale(0.5).to({device}), alpha is on {alpha.device}, expected {device}"
    )
    x = _rand((3, 2), device, torch.float64)
    assert_close(model(x), x * 0.5, what="Scale(0.5).double()(x)", inputs="float64 x (3, 2)")
