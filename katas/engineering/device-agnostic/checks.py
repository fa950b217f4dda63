"""Hidden checks for device-agnostic: ``Smoother(n_in, n_out, decay)`` computes on whatever
device and dtype its parameters and inputs have, so it runs unchanged on a GPU and on 'meta'."""

from typing import Any

import torch

from trainer.checks import Remote, assert_close, plain, type_name

F64 = torch.float64
# (n_in, n_out, decay, batch, frames): one frame, a batch of one, a non-default decay
CASES = [(4, 6, 0.9, 3, 5), (5, 2, 0.5, 1, 1), (3, 7, 0.75, 2, 8)]
WHERE = (
    "Make every new tensor where the data is: z.new_zeros(...), torch.zeros_like(...), or "
    "torch.zeros(..., device=z.device, dtype=z.dtype); torch.zeros(n) and torch.arange(n) "
    "alone give a CPU tensor, and .cuda() a tensor on the GPU whatever the model is on"
)


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
            f"{call}.to('meta')(x) returned {type_name(got)}, expected a tensor"
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


def _on_a_gpu_machine(model: Any, x: torch.Tensor) -> tuple[object, list[str], str | None]:
    """In the learner process: model(x) as on a machine with a GPU. torch.cuda.is_available()
    answers True, and Tensor.cuda / Module.cuda note their calls and move nothing (on a real
    GPU they are noted and run). Returns what forward returned, the calls, and the error
    forward raised, if any."""
    calls: list[str] = []
    saved = (torch.cuda.is_available, torch.Tensor.cuda, torch.nn.Module.cuda)
    real = saved[0]()

    def tensor_cuda(self: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
        calls.append("Tensor.cuda()")
        return saved[1](self, *args, **kwargs) if real else self

    def module_cuda(self: torch.nn.Module, *args: Any, **kwargs: Any) -> torch.nn.Module:
        calls.append("Module.cuda()")
        return saved[2](self, *args, **kwargs) if real else self

    torch.cuda.is_available = lambda: True
    torch.Tensor.cuda = tensor_cuda  # type: ignore[method-assign]
    torch.nn.Module.cuda = module_cuda  # type: ignore[method-assign]
    try:
        out: object = model(x)
        error = None
    except Exception as exc:  # reported to the learner
        out, error = None, f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
    finally:
        torch.cuda.is_available = saved[0]
        torch.Tensor.cuda = saved[1]  # type: ignore[method-assign]
        torch.nn.Module.cuda = saved[2]  # type: ignore[method-assign]
    return out, calls, error


def test_cpu_model_on_gpu_machine(learner: Any, remote: Remote, device: torch.device) -> None:
    """on a machine with a GPU, a model kept on the CPU stays there (no .cuda())

    Without a GPU, the machine is simulated: torch.cuda.is_available() answers True, and
    .cuda() is noted instead of run. Where the model runs is the caller's choice.
    """
    torch.manual_seed(4)
    n_in, n_out, decay, batch, frames = CASES[0]
    call = _call(n_in, n_out, decay)
    model = learner.Smoother(n_in, n_out, decay)  # left on the CPU by its caller
    x = _input(batch, frames, n_in)
    out, calls, error = remote.define(_on_a_gpu_machine)(model, x)
    scene = (
        f"on a machine with a GPU, {call} kept on the CPU and called on a CPU x of shape "
        f"{(batch, frames, n_in)}"
    )
    advice = (
        "Leave the device to the caller: make new tensors where the data is "
        "(z.new_zeros(...), device=z.device), never on 'cuda' because a GPU exists, and "
        "never move the model or its input with .cuda()"
    )
    assert error is None, (
        f"{scene}: forward raised {error.rstrip('.!')}. Your forward put a tensor on the GPU "
        f"because torch.cuda.is_available() said one exists. {advice}"
    )
    assert not calls, f"{scene}: forward called {', '.join(sorted(set(calls)))}. {advice}"
    assert isinstance(out, torch.Tensor), f"{call}(x) returned {type_name(out)}, expected a tensor"
    got = plain(out, f"{call}(x)")
    assert got.device.type == "cpu", (
        f"{scene}: the output is on {got.device}, expected the CPU, where the model and x are. "
        + advice
    )
