"""Hidden checks for device-agnostic: ``Smoother(n_in, n_out, decay)`` computes on whatever
device and dtype its parameters and inputs have, so it runs unchanged on a GPU and on 'meta'."""

from typing import Any

import torch

from trainer.checks import Remote, assert_close, plain
from trainer.grading.judge.link import is_proxy

F64 = torch.float64
# (n_in, n_out, decay, batch, frames): one frame, a batch of one, a non-default decay
CASES = [(4, 6, 0.9, 3, 5), (5, 2, 0.5, 1, 1), (3, 7, 0.75, 2, 8)]
WHERE = (
    "Make every new tensor where the data is: z.new_zeros(...), torch.zeros_like(...), or "
    "torch.zeros(..., device=z.device, dtype=z.dtype); torch.zeros(n) and torch.arange(n) "
    "alone give a CPU tensor, and .cuda() a tensor on the GPU whatever the model is on"
)


def _type_name(value: object) -> str:
    """The type of a value as the learner's code made it (a learner object's own class)."""
    if is_proxy(value):
        return str(value._type).rpartition(".")[2]  # type: ignore[attr-defined]
    return type(value).__name__


def _call(n_in: int, n_out: int, decay: float) -> str:
    return f"Smoother({n_in}, {n_out}, decay={decay})"


def _input(batch: int, frames: int, n_in: int) -> torch.Tensor:
    return torch.randn(batch, frames, n_in) * 1.5 + 0.4


def _reference(remote: Remote, model: Any, x: torch.Tensor, decay: float) -> torch.Tensor:
    """The debiased moving average of proj(x) over frames, in float64 on the CPU, computed
    here from the model's weights (both fetched in one request)."""
    weight, bias = remote.value(
        remote.eval("[m.proj.weight.detach(), m.proj.bias.detach()]", m=model)
    )
    weight = plain(weight, "model.proj.weight").to("cpu", F64)
    bias = plain(bias, "model.proj.bias").to("cpu", F64)
    z = x.detach().to("cpu", F64) @ weight.T + bias
    state = torch.zeros(z.shape[0], z.shape[2], dtype=F64)
    out = []
    for t in range(z.shape[1]):
        state = decay * state + (1 - decay) * z[:, t]
        out.append(state / (1 - decay ** (t + 1)))
    return torch.stack(out, dim=1)


def _run(model: Any, x: torch.Tensor, call: str, where: str) -> Any:
    """model(x), with an error from mixing devices turned into a message for the learner."""
    try:
        return model(x)
    except (RuntimeError, AssertionError, NotImplementedError) as exc:
        text = " ".join(str(exc).split())[:300].rstrip(".!")
        kind = getattr(exc, "short_type", type(exc).__name__)  # the learner process's class
        raise AssertionError(
            f"{call} {where}, called on x of shape {tuple(x.shape)} there, raised "
            f"{kind}: {text}. Your forward makes a tensor somewhere else than the "
            "model and its input (on a GPU the error reads 'Expected all tensors to be on the "
            f"same device'). {WHERE}"
        ) from None


def test_values(learner: Any, remote: Remote, device: torch.device) -> None:
    """the output is the debiased moving average of proj(x) over frames"""
    torch.manual_seed(0)
    for n_in, n_out, decay, batch, frames in CASES:
        call = _call(n_in, n_out, decay)
        model = learner.Smoother(n_in, n_out, decay).to(device)
        x = _input(batch, frames, n_in).to(device)
        got = _run(model, x, call, f"on {device}")
        expected = _reference(remote, model, x, decay).to(device, torch.float32)
        assert_close(
            got,
            expected,
            what=f"{call}(x)",
            inputs=f"x of shape {(batch, frames, n_in)} on {device}",
            rtol=1e-5,
            atol=1e-5,
        )


def test_meta(learner: Any, remote: Remote, device: torch.device) -> None:
    """it runs after .to('meta'), and its output stays on 'meta'"""
    torch.manual_seed(1)
    for n_in, n_out, decay, batch, frames in CASES:
        call = _call(n_in, n_out, decay)
        model = learner.Smoother(n_in, n_out, decay).to("meta")
        x = _input(batch, frames, n_in).to("meta")
        got = _run(model, x, call, "moved with .to('meta')")
        assert isinstance(got, torch.Tensor), (
            f"{call}.to('meta')(x) returned {_type_name(got)}, expected a tensor"
        )
        got = plain(got, f"{call}.to('meta')(x)")  # shape and device, no data
        assert got.device.type == "meta", (
            f"{call}.to('meta')(x) returned a tensor on {got.device}, expected 'meta', where "
            f"the model and x are. {WHERE}"
        )
        assert got.shape == (batch, frames, n_out), (
            f"{call}.to('meta')(x) for x of shape {(batch, frames, n_in)} returned shape "
            f"{tuple(got.shape)}, expected {(batch, frames, n_out)}"
        )


def test_dtype(learner: Any, remote: Remote, device: torch.device) -> None:
    """after .to(torch.bfloat16), it computes and returns bfloat16"""
    torch.manual_seed(2)
    for n_in, n_out, decay, batch, frames in CASES:
        call = _call(n_in, n_out, decay)
        model = learner.Smoother(n_in, n_out, decay).to(device, torch.bfloat16)
        x = _input(batch, frames, n_in).to(device, torch.bfloat16)
        got = _run(model, x, call, f"in bfloat16 on {device}")
        inputs = f"x of shape {(batch, frames, n_in)}, bfloat16"
        if isinstance(got, torch.Tensor):
            got = plain(got, f"{call}.to(torch.bfloat16)(x)")
        assert not isinstance(got, torch.Tensor) or got.dtype == torch.bfloat16, (
            f"{call}.to(torch.bfloat16)(x) has dtype {got.dtype}, expected torch.bfloat16 (for "
            f"{inputs}). A tensor made inside forward without dtype= is float32, and mixing it "
            "in promotes the result to float32: give new tensors the dtype of the data "
            "(z.new_zeros(...) takes both its device and its dtype)"
        )
        # bfloat16 keeps about 3 significant digits, and they are lost over the frames
        assert_close(
            got,
            _reference(remote, model, x, decay).to(device, torch.bfloat16),
            what=f"{call}.to(torch.bfloat16)(x)",
            inputs=inputs,
            rtol=0.05,
            atol=0.05,
        )


def test_double(learner: Any, remote: Remote, device: torch.device) -> None:
    """after .double(), it computes in float64 throughout"""
    torch.manual_seed(3)
    for n_in, n_out, decay, batch, frames in CASES:
        call = _call(n_in, n_out, decay)
        model = learner.Smoother(n_in, n_out, decay).to(device).double()
        x = _input(batch, frames, n_in).to(device, F64)
        got = _run(model, x, call, f"in float64 on {device}")
        assert_close(
            got,
            _reference(remote, model, x, decay).to(device),
            what=f"{call}.double()(x)",
            inputs=f"x of shape {(batch, frames, n_in)}, float64",
            rtol=1e-10,
            atol=1e-12,
            hint="These are float32 rounding errors: a tensor made inside forward "
            "without dtype= is float32 (the default dtype) and costs the precision you asked "
            "for. Give new tensors the dtype of the data",
        )
