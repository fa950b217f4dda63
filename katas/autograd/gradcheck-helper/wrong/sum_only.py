"""WRONG: a hand-written check of the gradient of out.sum() against finite differences. That
is one grad_output (all ones), so a backward that ignores grad_output looks right.
Caught by: False for a slightly wrong derivative, and for one that ignores grad_output."""

import torch


def _total(out):
    outs = out if isinstance(out, tuple) else (out,)
    return sum(o.sum() for o in outs)


def check_backward(fn, *shapes, device="cpu", eps=1e-6):
    inputs = [
        torch.randn(shape, dtype=torch.float64, device=device, requires_grad=True)
        for shape in shapes
    ]
    grads = torch.autograd.grad(_total(fn(*inputs)), inputs, allow_unused=True)
    with torch.no_grad():
        for x, grad in zip(inputs, grads):
            flat = x.view(-1)
            for i in range(flat.numel()):
                flat[i] += eps
                plus = _total(fn(*inputs))
                flat[i] -= 2 * eps
                minus = _total(fn(*inputs))
                flat[i] += eps
                numeric = (plus - minus) / (2 * eps)
                analytic = 0.0 if grad is None else grad.view(-1)[i]
                if abs(float(numeric - analytic)) > 1e-5 + 1e-3 * abs(float(numeric)):
                    return False
    return True
